// x509check reads certificates the way daprd 1.18 (Go 1.26, go-spiffe v2.6.0, grpc-go) reads
// them, so tests can prove that what dapr-ts's sentry issues is accepted by the real parsers.
//
//	x509check verify -chain chain.pem -roots roots.pem [-id spiffe://...]
//	    x509-SVID verification of a leaf+intermediates chain; prints the leaf as Go sees it.
//	x509check bundle -ca ca.crt -issuer issuer.crt -key issuer.key
//	    the checks a Go sentry makes before using a stored CA bundle.
//	x509check sign -addr host:port -roots roots.pem -sentry-id spiffe://... -key ed25519|ecdsa|rsa
//	    a daprd-style SignCertificate call over go-spiffe TLS; prints the identity received.
//
// Output is one JSON object on stdout; any failure exits 1 with the reason on stderr.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fail(fmt.Errorf("usage: x509check verify|bundle|sign [flags]"))
	}
	var err error
	switch os.Args[1] {
	case "verify":
		err = runVerify(os.Args[2:])
	case "bundle":
		err = runBundle(os.Args[2:])
	case "sign":
		err = runSign(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "x509check:", err)
	os.Exit(1)
}
