// The real v1.18.3 .proto files (from the dapr Go module the toolchain caches), parsed with
// protobufjs, and the tables the schema-parity tests compare our hand-written codecs with.
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { daprModuleDir } from './upstream-sentry.js';

/** Parses `dapr/proto/...` files of the pinned dapr module, resolving their dapr/ imports there. */
export function loadUpstreamProtos(files: readonly string[]): protobuf.Root {
  const dir = daprModuleDir();
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target): string => (target.startsWith('dapr/') ? join(dir, target) : target);
  root.loadSync([...files], { keepCase: true });
  root.resolveAll();
  return root;
}

/** [name, number, type, label] for each field of a message, in declaration order. */
export function fieldTable(type: protobuf.Type): [string, number, string, string][] {
  return type.fieldsArray.map((f) => {
    if (f instanceof protobuf.MapField) return [f.name, f.id, `map<${f.keyType},${f.type}>`, 'map'];
    const label = f.repeated
      ? 'repeated'
      : f.options?.proto3_optional === true
        ? 'proto3_optional'
        : 'optional';
    return [f.name, f.id, f.type, label];
  });
}

/** [name, request, response, client streaming, server streaming] for each method of a service. */
export function methodTable(service: protobuf.Service): [string, string, string, boolean, boolean][] {
  return service.methodsArray.map((m) => [
    m.name,
    m.requestType,
    m.responseType,
    !!m.requestStream,
    !!m.responseStream,
  ]);
}
