import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateOpenApiJson } from '../src/openapi.js';

type Schema = {
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  nullable?: boolean;
  $ref?: string;
  allOf?: Schema[];
  items?: Schema;
  enum?: unknown[];
};
interface Doc {
  paths: Record<
    string,
    Record<
      string,
      {
        requestBody?: { content: Record<string, { schema: Schema }> };
        responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
      }
    >
  >;
  components: { schemas: Record<string, Schema> };
}

describe('openapi.json, the artifact client teams generate from', () => {
  let generated: string;
  let doc: Doc;
  beforeAll(async () => {
    generated = await generateOpenApiJson();
    doc = JSON.parse(generated);
  });

  it('matches what the application generates (run `npm run openapi` after changing the API)', () => {
    const committed = readFileSync(join(__dirname, '..', 'openapi.json'), 'utf8');
    // Compared parsed first for a readable diff, then byte for byte (key order, formatting).
    expect(JSON.parse(committed)).toEqual(doc);
    expect(committed).toBe(generated);
  });

  it('is the same on every generation', async () => {
    expect(await generateOpenApiJson()).toBe(generated);
  });

  it('declares a schema for every JSON request body and every JSON response with a body', () => {
    const missing: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const bodies: [string, Record<string, { schema: Schema }> | undefined][] = [
          ['request', op.requestBody?.content],
          ...Object.entries(op.responses).map(([code, r]): [string, Record<string, { schema: Schema }> | undefined] => [
            code,
            r.content,
          ]),
        ];
        for (const [where, content] of bodies) {
          if (content && !content['application/json']?.schema) missing.push(`${method.toUpperCase()} ${path} ${where}`);
        }
        // 204 and 202 (accepted, to be done behind the answer) carry no body.
        const ok = Object.entries(op.responses).find(
          ([code]) => code.startsWith('2') && !['204', '202'].includes(code),
        );
        if (ok && !ok[1].content?.['application/json']?.schema)
          missing.push(`${method.toUpperCase()} ${path} ${ok[0]} has no schema`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('lists required fields on every object schema, and marks nullable ones', () => {
    const problems: string[] = [];
    for (const [name, schema] of Object.entries(doc.components.schemas)) {
      if (schema.type !== 'object' || !schema.properties) continue;
      if (!schema.required?.length) problems.push(`${name}: no required list`);
      for (const key of schema.required ?? [])
        if (!(key in schema.properties)) problems.push(`${name}.${key}: required but not a property`);
    }
    expect(problems).toEqual([]);
    // Responses always carry every key (null when unknown), so every property of a *Response is required.
    const partial = Object.entries(doc.components.schemas)
      .filter(([name]) => name.endsWith('Response') || ['DeviceInfo', 'NameVersion', 'LocationInfo'].includes(name))
      .flatMap(([name, s]) =>
        Object.keys(s.properties ?? {})
          .filter((k) => !s.required?.includes(k))
          .map((k) => `${name}.${k}`),
      );
    expect(partial).toEqual([]);
    expect(doc.components.schemas.UserResponse.properties!.name.nullable).toBe(true);
    const session = doc.components.schemas.SessionResponse;
    for (const key of ['location', 'endedAt', 'endReason', 'userAgent', 'ipAddress']) {
      expect(session.required).toContain(key);
      expect(session.properties![key].nullable).toBe(true);
    }
  });
});
