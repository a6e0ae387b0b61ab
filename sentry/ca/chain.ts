// Chain checks with Go's semantics, for validating a CA bundle before it is used: what
// x509.Certificate.CheckSignatureFrom and Verify (default options: now, EKU serverAuth) require.
import { verifySignature } from '../../kit/x509/algorithms.js';
import { OID } from '../../kit/x509/oids.js';
import {
  basicConstraints,
  extKeyUsage,
  keyUsage,
  type Certificate,
} from '../../kit/x509/certificate-fields.js';

/**
 * Go's CheckSignatureFrom: `parent` may sign certificates (a v3 parent needs CA:TRUE, and
 * keyCertSign if it has a KeyUsage) and its key verifies `child`'s signature. Names are not
 * compared here (Go doesn't either); path building below compares them.
 */
export function checkSignatureFrom(child: Certificate, parent: Certificate): boolean {
  const bc = basicConstraints(parent);
  if ((parent.version === 3 && bc === undefined) || (bc !== undefined && !bc.ca)) return false;
  const usage = keyUsage(parent);
  if (usage !== undefined && usage.size > 0 && !usage.has('keyCertSign')) return false;
  return verifySignature(
    { data: child.tbs, algorithm: child.signatureAlgorithm, signature: child.signature },
    parent.publicKey,
  );
}

function validAt(cert: Certificate, now: number): boolean {
  return cert.notBefore.getTime() <= now && now <= cert.notAfter.getTime();
}

/** An EKU list allows serverAuth if it is absent, or names serverAuth or anyExtendedKeyUsage. */
function allowsServerAuth(cert: Certificate): boolean {
  const eku = extKeyUsage(cert);
  return eku === undefined || eku.includes(OID.serverAuth) || eku.includes(OID.anyExtendedKeyUsage);
}

function pathProblem(path: readonly Certificate[], now: number): string | undefined {
  for (const cert of path) {
    if (!validAt(cert, now)) return 'x509: certificate has expired or is not yet valid';
    if (!allowsServerAuth(cert)) return 'x509: certificate specifies an incompatible key usage';
  }
  return undefined;
}

/**
 * Why `chain` (issuer first, then intermediates) does not lead to one of `anchors` at `now`,
 * or undefined when it does. As with Go, a chain whose first certificate is itself an anchor
 * is trusted as is; otherwise the last certificate must be issued (by name and signature) by
 * an anchor, every certificate must be valid now, and none may forbid serverAuth.
 */
export function checkChainToAnchors(
  chain: readonly Certificate[],
  anchors: readonly Certificate[],
  now: number,
): string | undefined {
  const first = chain[0];
  if (first === undefined) return 'empty chain';
  if (anchors.some((a) => a.der.equals(first.der))) return pathProblem([first], now);
  for (let i = 0; i + 1 < chain.length; i++) {
    if (!chain[i]!.issuer.equals(chain[i + 1]!.subject))
      return 'x509: certificate signed by unknown authority';
  }
  const last = chain[chain.length - 1]!;
  const parents = anchors.filter((a) => last.issuer.equals(a.subject) && checkSignatureFrom(last, a));
  if (parents.length === 0) return 'x509: certificate signed by unknown authority';
  let problem: string | undefined;
  for (const anchor of parents) {
    problem = pathProblem([...chain, anchor], now);
    if (problem === undefined) return undefined;
  }
  return problem;
}
