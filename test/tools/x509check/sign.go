package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/spiffe/go-spiffe/v2/bundle/x509bundle"
	"github.com/spiffe/go-spiffe/v2/spiffegrpc/grpccredentials"
	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"github.com/spiffe/go-spiffe/v2/spiffetls/tlsconfig"
	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	"google.golang.org/protobuf/encoding/protowire"
)

const signMethod = "/dapr.proto.sentry.v1.CA/SignCertificate"

// rawCodec sends and receives already-encoded protobuf bytes, so this tool needs no generated
// code: the request is written field by field with protowire below.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*(v.(*[]byte)) = append([]byte(nil), data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

var _ encoding.Codec = rawCodec{}

func newKey(kind string) (crypto.Signer, error) {
	switch kind {
	case "ed25519":
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	case "ecdsa":
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "rsa":
		return rsa.GenerateKey(rand.Reader, 2048)
	}
	return nil, fmt.Errorf("unknown key kind %q", kind)
}

// signRequest holds the SignCertificateRequest fields this tool sets.
type signRequest struct {
	id, token, trustDomain, namespace string
	csrPEM                            []byte
	validator                         uint64
}

func encodeRequest(r signRequest) []byte {
	var b []byte
	str := func(num protowire.Number, s string) {
		if s != "" {
			b = protowire.AppendTag(b, num, protowire.BytesType)
			b = protowire.AppendString(b, s)
		}
	}
	str(1, r.id)
	str(2, r.token)
	str(3, r.trustDomain)
	str(4, r.namespace)
	b = protowire.AppendTag(b, 5, protowire.BytesType)
	b = protowire.AppendBytes(b, r.csrPEM)
	if r.validator != 0 {
		b = protowire.AppendTag(b, 6, protowire.VarintType)
		b = protowire.AppendVarint(b, r.validator)
	}
	return b
}

// tokenValidators are the TokenValidator enum values by the names daprd's token logic uses.
var tokenValidators = map[string]uint64{"": 0, "unknown": 0, "insecure": 1, "kubernetes": 2, "jwks": 3}

type signResponse struct {
	chainPEM     []byte
	trustChain   [][]byte
	validUntil   time.Time
	hasValidTime bool
}

func decodeResponse(b []byte) (signResponse, error) {
	var r signResponse
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return r, protowire.ParseError(n)
		}
		b = b[n:]
		if typ != protowire.BytesType {
			n = protowire.ConsumeFieldValue(num, typ, b)
			b = b[n:]
			continue
		}
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return r, protowire.ParseError(n)
		}
		b = b[n:]
		switch num {
		case 1:
			r.chainPEM = v
		case 2:
			r.trustChain = append(r.trustChain, v)
		case 3:
			ts, err := decodeTimestamp(v)
			if err != nil {
				return r, err
			}
			r.validUntil, r.hasValidTime = ts, true
		}
	}
	return r, nil
}

func decodeTimestamp(b []byte) (time.Time, error) {
	var seconds, nanos int64
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 || typ != protowire.VarintType {
			return time.Time{}, errors.New("malformed Timestamp")
		}
		v, m := protowire.ConsumeVarint(b[n:])
		if m < 0 {
			return time.Time{}, errors.New("malformed Timestamp")
		}
		b = b[n+m:]
		switch num {
		case 1:
			seconds = int64(v)
		case 2:
			nanos = int64(v)
		}
	}
	return time.Unix(seconds, nanos).UTC(), nil
}

// runSign asks sentry for an identity as daprd does: a fresh key, an empty-subject CSR, a gRPC
// connection authorized on sentry's exact SPIFFE ID, then x509-SVID parsing of the answer.
func runSign(args []string) error {
	fs := flag.NewFlagSet("sign", flag.ContinueOnError)
	addr := fs.String("addr", "", "sentry host:port")
	rootsPath := fs.String("roots", "", "trust anchors (DAPR_TRUST_ANCHORS), PEM")
	sentryID := fs.String("sentry-id", "", "spiffe://<cp-td>/ns/<cp-ns>/dapr-sentry")
	appID := fs.String("app-id", "myapp", "the requested id")
	namespace := fs.String("namespace", "default", "the requested namespace")
	trustDomain := fs.String("trust-domain", "", "the requested trust domain (control-plane services only)")
	keyKind := fs.String("key", "ed25519", "ed25519|ecdsa|rsa")
	tokenPath := fs.String("token-file", "", "a file whose contents are sent as the token (as DAPR_SENTRY_TOKEN_FILE)")
	validatorName := fs.String("validator", "", "insecure|kubernetes|jwks (default: unknown, the server's default)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	validator, ok := tokenValidators[*validatorName]
	if !ok {
		return fmt.Errorf("unknown validator %q", *validatorName)
	}
	var token string
	if *tokenPath != "" {
		b, err := os.ReadFile(*tokenPath)
		if err != nil {
			return err
		}
		token = string(b)
	}
	roots, err := readCertificates(*rootsPath)
	if err != nil {
		return err
	}
	want, err := spiffeid.FromString(*sentryID)
	if err != nil {
		return err
	}
	anchors := x509bundle.FromX509Authorities(want.TrustDomain(), roots)
	conn, err := grpc.NewClient(*addr, grpc.WithTransportCredentials(
		grpccredentials.TLSClientCredentials(anchors, tlsconfig.AuthorizeID(want)),
	))
	if err != nil {
		return err
	}
	defer conn.Close()

	key, err := newKey(*keyKind)
	if err != nil {
		return err
	}
	csrDER, err := x509.CreateCertificateRequest(rand.Reader, new(x509.CertificateRequest), key)
	if err != nil {
		return err
	}
	csrPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csrDER})
	req := encodeRequest(signRequest{
		id: *appID, token: token, trustDomain: *trustDomain, namespace: *namespace,
		csrPEM: csrPEM, validator: validator,
	})
	var resp []byte
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := conn.Invoke(ctx, signMethod, &req, &resp, grpc.ForceCodec(rawCodec{})); err != nil {
		return fmt.Errorf("SignCertificate: %w", err)
	}
	r, err := decodeResponse(resp)
	if err != nil {
		return err
	}
	if !r.hasValidTime {
		return errors.New("valid_until is missing")
	}
	chain, err := parsePEMChain(r.chainPEM)
	if err != nil {
		return err
	}
	id, err := verifySVID(chain, roots, "")
	if err != nil {
		return err
	}
	if !chain[0].NotAfter.Equal(r.validUntil) {
		return fmt.Errorf("valid_until %s is not the leaf's NotAfter %s", r.validUntil, chain[0].NotAfter)
	}
	if eq, ok := key.Public().(publicKeyEqualer); !ok || !eq.Equal(chain[0].PublicKey) {
		return errors.New("the leaf does not certify the requested key")
	}
	return printJSON(map[string]any{
		"leaf":               describe(chain[0], id.String()),
		"chainLength":        len(chain),
		"trustChainElements": len(r.trustChain),
	})
}

func parsePEMChain(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		certs = append(certs, cert)
	}
	if len(certs) == 0 {
		return nil, errors.New("no certificates in workload_certificate")
	}
	return certs, nil
}
