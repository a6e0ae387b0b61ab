package main

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"os"
)

type publicKeyEqualer interface {
	Equal(crypto.PublicKey) bool
}

func readPrivateKey(path string) (crypto.Signer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("issuer key is not PEM")
	}
	var key any
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("unexpected key block %q", block.Type)
	}
	if err != nil {
		return nil, err
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("key of type %T cannot sign", key)
	}
	return signer, nil
}

// runBundle checks a stored CA bundle the way a Go sentry must accept it before use: anchors
// self-signed, the issuer chain ordered, the key matching the issuer, and x509 Verify (default
// options) from the issuer to the anchors.
func runBundle(args []string) error {
	fs := flag.NewFlagSet("bundle", flag.ContinueOnError)
	caPath := fs.String("ca", "", "ca.crt")
	issuerPath := fs.String("issuer", "", "issuer.crt")
	keyPath := fs.String("key", "", "issuer.key")
	if err := fs.Parse(args); err != nil {
		return err
	}
	anchors, err := readCertificates(*caPath)
	if err != nil {
		return err
	}
	for _, a := range anchors {
		if err := a.CheckSignatureFrom(a); err != nil {
			return fmt.Errorf("anchor %s is not self-signed: %w", a.Subject, err)
		}
	}
	chain, err := readCertificates(*issuerPath)
	if err != nil {
		return err
	}
	for i := 0; i+1 < len(chain); i++ {
		if err := chain[i].CheckSignatureFrom(chain[i+1]); err != nil {
			return fmt.Errorf("issuer chain out of order at %d: %w", i, err)
		}
	}
	key, err := readPrivateKey(*keyPath)
	if err != nil {
		return err
	}
	if eq, ok := key.Public().(publicKeyEqualer); !ok || !eq.Equal(chain[0].PublicKey) {
		return errors.New("issuer key does not match the issuer certificate")
	}
	roots := x509.NewCertPool()
	for _, a := range anchors {
		roots.AddCert(a)
	}
	intermediates := x509.NewCertPool()
	for _, c := range chain[1:] {
		intermediates.AddCert(c)
	}
	if _, err := chain[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: intermediates}); err != nil {
		return fmt.Errorf("issuer does not verify to the anchors: %w", err)
	}
	return printJSON(map[string]any{
		"anchors": describeAll(anchors),
		"issuers": describeAll(chain),
	})
}

func describeAll(certs []*x509.Certificate) []leafFacts {
	out := make([]leafFacts, 0, len(certs))
	for _, c := range certs {
		out = append(out, describe(c, ""))
	}
	return out
}
