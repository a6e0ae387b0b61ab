package main

import (
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"os"
	"time"
)

// leafFacts is what the tests assert about a certificate, as Go's parser reports it.
type leafFacts struct {
	SpiffeID              string      `json:"spiffeId,omitempty"`
	URIs                  []string    `json:"uris"`
	DNSNames              []string    `json:"dnsNames"`
	IsCA                  bool        `json:"isCA"`
	BasicConstraintsValid bool        `json:"basicConstraintsValid"`
	KeyUsage              []string    `json:"keyUsage"`
	ExtKeyUsage           []string    `json:"extKeyUsage"`
	SerialPositive        bool        `json:"serialPositive"`
	SerialBits            int         `json:"serialBits"`
	NotBefore             time.Time   `json:"notBefore"`
	NotAfter              time.Time   `json:"notAfter"`
	SignatureAlgorithm    string      `json:"signatureAlgorithm"`
	PublicKeyAlgorithm    string      `json:"publicKeyAlgorithm"`
	SubjectEmpty          bool        `json:"subjectEmpty"`
	SubjectKeyID          string      `json:"subjectKeyId"`
	AuthorityKeyID        string      `json:"authorityKeyId"`
	Extensions            []extension `json:"extensions"`
}

type extension struct {
	OID      string `json:"oid"`
	Critical bool   `json:"critical"`
}

var keyUsageNames = []struct {
	bit  x509.KeyUsage
	name string
}{
	{x509.KeyUsageDigitalSignature, "digitalSignature"},
	{x509.KeyUsageContentCommitment, "contentCommitment"},
	{x509.KeyUsageKeyEncipherment, "keyEncipherment"},
	{x509.KeyUsageDataEncipherment, "dataEncipherment"},
	{x509.KeyUsageKeyAgreement, "keyAgreement"},
	{x509.KeyUsageCertSign, "keyCertSign"},
	{x509.KeyUsageCRLSign, "cRLSign"},
}

var extKeyUsageNames = map[x509.ExtKeyUsage]string{
	x509.ExtKeyUsageAny:        "any",
	x509.ExtKeyUsageServerAuth: "serverAuth",
	x509.ExtKeyUsageClientAuth: "clientAuth",
}

func describe(cert *x509.Certificate, id string) leafFacts {
	facts := leafFacts{
		SpiffeID:              id,
		URIs:                  []string{},
		DNSNames:              append([]string{}, cert.DNSNames...),
		IsCA:                  cert.IsCA,
		BasicConstraintsValid: cert.BasicConstraintsValid,
		KeyUsage:              []string{},
		ExtKeyUsage:           []string{},
		SerialPositive:        cert.SerialNumber.Sign() > 0,
		SerialBits:            cert.SerialNumber.BitLen(),
		NotBefore:             cert.NotBefore,
		NotAfter:              cert.NotAfter,
		SignatureAlgorithm:    cert.SignatureAlgorithm.String(),
		PublicKeyAlgorithm:    cert.PublicKeyAlgorithm.String(),
		SubjectEmpty:          len(cert.Subject.Names) == 0,
		SubjectKeyID:          hex.EncodeToString(cert.SubjectKeyId),
		AuthorityKeyID:        hex.EncodeToString(cert.AuthorityKeyId),
		Extensions:            []extension{},
	}
	for _, u := range cert.URIs {
		facts.URIs = append(facts.URIs, u.String())
	}
	for _, ku := range keyUsageNames {
		if cert.KeyUsage&ku.bit != 0 {
			facts.KeyUsage = append(facts.KeyUsage, ku.name)
		}
	}
	for _, eku := range cert.ExtKeyUsage {
		name, ok := extKeyUsageNames[eku]
		if !ok {
			name = "other"
		}
		facts.ExtKeyUsage = append(facts.ExtKeyUsage, name)
	}
	for _, e := range cert.Extensions {
		facts.Extensions = append(facts.Extensions, extension{OID: e.Id.String(), Critical: e.Critical})
	}
	return facts
}

func printJSON(v any) error {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
