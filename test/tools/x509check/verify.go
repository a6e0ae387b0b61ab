package main

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/spiffe/go-spiffe/v2/bundle/x509bundle"
	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"github.com/spiffe/go-spiffe/v2/svid/x509svid"
)

// readCertificates parses every CERTIFICATE block of a PEM file with crypto/x509, which applies
// Go's own rules (positive serials, no duplicate extensions, no unknown critical extensions).
func readCertificates(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		certs = append(certs, cert)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("%s: no certificates", path)
	}
	return certs, nil
}

// verifySVID checks a chain as go-spiffe's TLS verification does in daprd: the leaf is an
// X509-SVID (one URI SAN, not a CA, no keyCertSign/cRLSign) chaining to the roots.
func verifySVID(chain, roots []*x509.Certificate, wantID string) (spiffeid.ID, error) {
	id, err := x509svid.IDFromCert(chain[0])
	if err != nil {
		return spiffeid.ID{}, fmt.Errorf("leaf: %w", err)
	}
	// The trust anchors are one bundle used for every trust domain, as dapr's kit serves them.
	bundle := x509bundle.FromX509Authorities(id.TrustDomain(), roots)
	verified, _, err := x509svid.Verify(chain, bundle)
	if err != nil {
		return spiffeid.ID{}, fmt.Errorf("x509svid.Verify: %w", err)
	}
	if wantID != "" && verified.String() != wantID {
		return spiffeid.ID{}, fmt.Errorf("SPIFFE ID is %s, want %s", verified, wantID)
	}
	return verified, nil
}

func runVerify(args []string) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	chainPath := fs.String("chain", "", "leaf and intermediates, PEM")
	rootsPath := fs.String("roots", "", "trust anchors, PEM")
	wantID := fs.String("id", "", "the SPIFFE ID the leaf must carry")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *chainPath == "" || *rootsPath == "" {
		return errors.New("verify needs -chain and -roots")
	}
	chain, err := readCertificates(*chainPath)
	if err != nil {
		return err
	}
	roots, err := readCertificates(*rootsPath)
	if err != nil {
		return err
	}
	id, err := verifySVID(chain, roots, *wantID)
	if err != nil {
		return err
	}
	return printJSON(describe(chain[0], id.String()))
}
