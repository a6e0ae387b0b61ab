// dapr.proto.placement.v1: the Placement service's messages and their codecs, written from the
// field tables of docs/contracts/placement.md §1.2 over sentry's small wire codec. SCHEMA states the same
// tables as data; a test proves them equal, field for field, to the .proto of dapr v1.18.3.
//
// 64-bit integers are JS numbers: versions are counters, and daprd leaves port/load at 0. A
// negative int64 is not encoded (written as absent); one decoded from the wire reads back as
// its two's-complement value only approximately. Neither reaches routing (§1.2: daprd routes by
// the load_map key, name and id only).
import {
  decodeString,
  expectWire,
  ProtoError,
  readFields,
  WIRE,
  Writer,
  type Field,
} from '../../kit/proto/wire.js';

export { ProtoError };

export const PLACEMENT_SERVICE = 'dapr.proto.placement.v1.Placement';
export const REPORT_DAPR_STATUS_PATH = `/${PLACEMENT_SERVICE}/ReportDaprStatus`;

/** HostOperation: REPORT from daprd's reports, LOCK/UPDATE/UNLOCK on its acks. */
export const HostOperation = { UNKNOWN: 0, REPORT: 1, LOCK: 2, UPDATE: 3, UNLOCK: 4 } as const;
export type HostOperationName = keyof typeof HostOperation;

/** PlacementOrder.operation strings daprd accepts (lowercase; anything else ends its stream). */
export type OrderOperation = 'lock' | 'update' | 'unlock';

export interface Host {
  /** "ip:port" of daprd's internal gRPC server; the load_map key. */
  readonly name: string;
  readonly port: number;
  /** deprecated */
  readonly load: number;
  readonly entities: readonly string[];
  /** daprd app-id. */
  readonly id: string;
  /** deprecated */
  readonly pod: string;
  /** deprecated (daprd sends 20) */
  readonly apiLevel: number;
  readonly namespace: string;
  /** HostOperation value (open: unknown numbers are kept). */
  readonly operation: number;
  /** optional uint64: absent on REPORT, the acknowledged version on acks. */
  readonly version?: number;
}

export interface PlacementTable {
  /** Key = Host.name, byte for byte: daprd builds the ring from the key. */
  readonly loadMap: ReadonlyMap<string, Host>;
  /** deprecated; never sent. */
  readonly totalLoad?: number;
}

export interface PlacementTables {
  /** Key = actor type. */
  readonly entries: ReadonlyMap<string, PlacementTable>;
  /** deprecated: the decimal string of the round version (a daprd fallback). */
  readonly version: string;
  /** deprecated; never set by the server (0). */
  readonly apiLevel: number;
  /** Vnodes per host; must be > 0. */
  readonly replicationFactor: number;
}

export interface PlacementOrder {
  /** An OrderOperation when we send; whatever arrived when decoded. */
  readonly operation: string;
  readonly version: number;
  /** Only on "update". */
  readonly tables?: PlacementTables;
}

/** The schema as data: [name, number, type, label]. */
export const SCHEMA = {
  PlacementOrder: [
    ['tables', 1, 'PlacementTables', 'optional'],
    ['operation', 2, 'string', 'optional'],
    ['version', 3, 'uint64', 'optional'],
  ],
  PlacementTables: [
    ['entries', 1, 'map<string,PlacementTable>', 'map'],
    ['version', 2, 'string', 'optional'],
    ['api_level', 3, 'uint32', 'optional'],
    ['replication_factor', 4, 'int64', 'optional'],
  ],
  PlacementTable: [
    ['hosts', 1, 'map<uint64,string>', 'map'],
    ['sorted_set', 2, 'uint64', 'repeated'],
    ['load_map', 3, 'map<string,Host>', 'map'],
    ['total_load', 4, 'int64', 'optional'],
  ],
  Host: [
    ['name', 1, 'string', 'optional'],
    ['port', 2, 'int64', 'optional'],
    ['load', 3, 'int64', 'optional'],
    ['entities', 4, 'string', 'repeated'],
    ['id', 5, 'string', 'optional'],
    ['pod', 6, 'string', 'optional'],
    ['api_level', 7, 'uint32', 'optional'],
    ['namespace', 8, 'string', 'optional'],
    ['operation', 9, 'HostOperation', 'optional'],
    ['version', 10, 'uint64', 'proto3_optional'],
  ],
  StatePlacementTables: [['tables', 1, 'map<string,StatePlacementTable>', 'map']],
  StatePlacementTable: [
    ['hosts', 1, 'Host', 'repeated'],
    ['version', 2, 'uint64', 'optional'],
  ],
} as const;

/** Deprecated fields the codecs read past; listed so the schema test can tell them apart. */
export const DEPRECATED = [
  'PlacementTables.version',
  'PlacementTables.api_level',
  'PlacementTable.hosts',
  'PlacementTable.sorted_set',
  'PlacementTable.total_load',
  'Host.load',
  'Host.pod',
  'Host.api_level',
] as const;

/** A field with a host-supplied number the codec cannot carry is written as absent (see top). */
function writeCount(w: Writer, field: number, value: number | undefined): void {
  if (value !== undefined && value > 0 && Number.isSafeInteger(value)) w.uint(field, value);
}

/** A decoded varint read as int64: values at or above 2^63 are negative in two's complement. */
function int64(field: Field): number {
  expectWire(field, WIRE.varint);
  return field.uint >= 2 ** 63 ? field.uint - 2 ** 64 : field.uint;
}

function uint(field: Field): number {
  expectWire(field, WIRE.varint);
  return field.uint;
}

export function encodeHost(host: Host): Buffer {
  const w = new Writer();
  if (host.name !== '') w.string(1, host.name);
  writeCount(w, 2, host.port);
  writeCount(w, 3, host.load);
  for (const e of host.entities) w.string(4, e);
  if (host.id !== '') w.string(5, host.id);
  if (host.pod !== '') w.string(6, host.pod);
  writeCount(w, 7, host.apiLevel);
  if (host.namespace !== '') w.string(8, host.namespace);
  writeCount(w, 9, host.operation);
  if (host.version !== undefined && Number.isSafeInteger(host.version) && host.version >= 0)
    w.uint(10, host.version); // presence-tracked: 0 is written too
  return w.finish();
}

export function emptyHost(): Host {
  return {
    name: '',
    port: 0,
    load: 0,
    entities: [],
    id: '',
    pod: '',
    apiLevel: 0,
    namespace: '',
    operation: 0,
  };
}

export function decodeHost(buf: Buffer): Host {
  const h: { -readonly [K in keyof Host]: Host[K] } & { entities: string[] } = {
    ...emptyHost(),
    entities: [],
  };
  for (const f of readFields(buf)) {
    switch (f.number) {
      case 1:
        h.name = decodeString(f);
        break;
      case 2:
        h.port = int64(f);
        break;
      case 3:
        h.load = int64(f);
        break;
      case 4:
        h.entities.push(decodeString(f));
        break;
      case 5:
        h.id = decodeString(f);
        break;
      case 6:
        h.pod = decodeString(f);
        break;
      case 7:
        h.apiLevel = uint(f);
        break;
      case 8:
        h.namespace = decodeString(f);
        break;
      case 9:
        h.operation = uint(f);
        break;
      case 10:
        h.version = uint(f);
        break;
      default:
        break; // unknown fields are skipped
    }
  }
  return h;
}

function mapEntry(key: (w: Writer) => void, value: Buffer): Buffer {
  const w = new Writer();
  key(w);
  w.message(2, value);
  return w.finish();
}

function encodeTable(table: PlacementTable): Buffer {
  const w = new Writer();
  for (const [name, host] of table.loadMap)
    w.message(
      3,
      mapEntry((k) => k.string(1, name), encodeHost(host)),
    );
  writeCount(w, 4, table.totalLoad);
  return w.finish();
}

export function encodeTables(tables: PlacementTables): Buffer {
  const w = new Writer();
  for (const [type, table] of tables.entries)
    w.message(
      1,
      mapEntry((k) => k.string(1, type), encodeTable(table)),
    );
  if (tables.version !== '') w.string(2, tables.version);
  writeCount(w, 3, tables.apiLevel);
  writeCount(w, 4, tables.replicationFactor);
  return w.finish();
}

export function encodeOrder(order: PlacementOrder): Buffer {
  const w = new Writer();
  if (order.tables !== undefined) w.message(1, encodeTables(order.tables));
  if (order.operation !== '') w.string(2, order.operation);
  writeCount(w, 3, order.version);
  return w.finish();
}

/** A map<string, Message> entry: key field 1, value field 2 (both may be absent). */
function decodeStringKeyed<V>(buf: Buffer, value: (b: Buffer) => V): [string, V] {
  let key = '';
  let raw: Buffer = Buffer.alloc(0);
  for (const f of readFields(buf)) {
    if (f.number === 1) key = decodeString(f);
    else if (f.number === 2) {
      expectWire(f, WIRE.bytes);
      raw = f.bytes;
    }
  }
  return [key, value(raw)];
}

function bytesOf(f: Field): Buffer {
  expectWire(f, WIRE.bytes);
  return f.bytes;
}

function decodeTable(buf: Buffer): PlacementTable {
  const loadMap = new Map<string, Host>();
  let totalLoad: number | undefined;
  for (const f of readFields(buf)) {
    if (f.number === 3) {
      const [k, v] = decodeStringKeyed(bytesOf(f), decodeHost);
      loadMap.set(k, v);
    } else if (f.number === 4) totalLoad = int64(f);
    // 1 (hosts) and 2 (sorted_set) are deprecated and skipped
  }
  return totalLoad === undefined ? { loadMap } : { loadMap, totalLoad };
}

export function decodeTables(buf: Buffer): PlacementTables {
  const entries = new Map<string, PlacementTable>();
  let version = '';
  let apiLevel = 0;
  let replicationFactor = 0;
  for (const f of readFields(buf)) {
    switch (f.number) {
      case 1: {
        const [k, v] = decodeStringKeyed(bytesOf(f), decodeTable);
        entries.set(k, v);
        break;
      }
      case 2:
        version = decodeString(f);
        break;
      case 3:
        apiLevel = uint(f);
        break;
      case 4:
        replicationFactor = int64(f);
        break;
      default:
        break;
    }
  }
  return { entries, version, apiLevel, replicationFactor };
}

export function decodeOrder(buf: Buffer): PlacementOrder {
  let tables: PlacementTables | undefined;
  let operation = '';
  let version = 0;
  for (const f of readFields(buf)) {
    if (f.number === 1) tables = decodeTables(bytesOf(f));
    else if (f.number === 2) operation = decodeString(f);
    else if (f.number === 3) version = uint(f);
  }
  return tables === undefined ? { operation, version } : { operation, version, tables };
}

/** Rejects a message whose fields are malformed; used where the grpc-js edge deserializes. */
export function tryDecodeHost(buf: Buffer): Host | ProtoError {
  try {
    return decodeHost(buf);
  } catch (err) {
    if (err instanceof ProtoError) return err;
    throw err;
  }
}
