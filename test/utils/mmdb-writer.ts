/**
 * Writes a tiny MaxMind DB (format 2.0) so the geo tests exercise a real reader on a
 * GeoIP2-shaped record. IPv4 tree, 24-bit records; only maps, arrays, strings and
 * unsigned integers are encoded — all the test records need. Spec: maxmind.github.io/MaxMind-DB.
 */
type Value = string | number | Value[] | { [key: string]: Value };

const TYPE = { utf8: 2, uint16: 5, uint32: 6, map: 7, array: 11 } as const;

function control(type: number, size: number): Buffer {
  if (size >= 29) throw new Error('mmdb-writer: sizes of 29 and more are not needed here');
  return type <= 7 ? Buffer.from([(type << 5) | size]) : Buffer.from([size, type - 7]);
}

function encode(v: Value): Buffer {
  if (typeof v === 'string') {
    const bytes = Buffer.from(v, 'utf8');
    return Buffer.concat([control(TYPE.utf8, bytes.length), bytes]);
  }
  if (typeof v === 'number') {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32BE(v);
    const trimmed = bytes.subarray(bytes.findIndex((b, i) => b !== 0 || i === 3));
    return Buffer.concat([control(TYPE.uint32, v === 0 ? 0 : trimmed.length), v === 0 ? Buffer.alloc(0) : trimmed]);
  }
  if (Array.isArray(v)) return Buffer.concat([control(TYPE.array, v.length), ...v.map(encode)]);
  const entries = Object.entries(v);
  return Buffer.concat([control(TYPE.map, entries.length), ...entries.flatMap(([k, x]) => [encode(k), encode(x)])]);
}

function record24(value: number): Buffer {
  const b = Buffer.alloc(3);
  b.writeUIntBE(value, 0, 3);
  return b;
}

/** One record per IPv4 network (`a.b.c.d/len`); every other address has no data. */
export function buildMmdb(networks: { cidr: string; data: Value }[]): Buffer {
  // Build a binary trie over the prefixes, then number its nodes breadth-first.
  interface Node {
    children: (Node | number | null)[];
  }
  const root: Node = { children: [null, null] };
  const dataParts: Buffer[] = [];
  let dataSize = 0;
  for (const { cidr, data } of networks) {
    const [ip, len] = cidr.split('/');
    const bits = ip.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
    let node = root;
    for (let i = 0; i < Number(len); i += 1) {
      const bit = Number((bits >> BigInt(31 - i)) & 1n);
      if (i === Number(len) - 1) {
        node.children[bit] = dataSize;
      } else {
        node.children[bit] ??= { children: [null, null] };
        node = node.children[bit] as Node;
      }
    }
    const encoded = encode(data);
    dataParts.push(encoded);
    dataSize += encoded.length;
  }
  const order: Node[] = [root];
  for (let i = 0; i < order.length; i += 1) {
    for (const c of order[i].children) if (c && typeof c === 'object') order.push(c);
  }
  const nodeCount = order.length;
  const tree = order.flatMap((n) =>
    n.children.map((c) =>
      record24(c === null ? nodeCount : typeof c === 'number' ? nodeCount + 16 + c : order.indexOf(c)),
    ),
  );
  const metadata = encode({
    node_count: nodeCount,
    record_size: 24,
    ip_version: 4,
    database_type: 'Test-City',
    languages: ['en'],
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: 1_700_000_000,
    description: { en: 'device-sessions test fixture' },
  });
  return Buffer.concat([
    ...tree,
    Buffer.alloc(16),
    ...dataParts,
    Buffer.from('\xab\xcd\xefMaxMind.com', 'latin1'),
    metadata,
  ]);
}
