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
  tags?: { name: string }[];
}

const FORM = 'application/x-www-form-urlencoded';

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
        // The OAuth routes take forms (RFC 7662, RFC 7009).
        const form = (c: Record<string, { schema: Schema }>) => path.startsWith('/v1/oauth/') && c[FORM]?.schema;
        for (const [where, content] of bodies) {
          if (content && !content['application/json']?.schema && !form(content))
            missing.push(`${method.toUpperCase()} ${path} ${where}`);
        }
        // 204 and 202 (accepted, to be done behind the answer) carry no body.
        const ok = Object.entries(op.responses).find(
          ([code]) => code.startsWith('2') && !['204', '202'].includes(code),
        );
        // RFC 7009 §2.2: a revocation's 200 has no body.
        if (ok && !ok[1].content?.['application/json']?.schema && path !== '/v1/oauth/revoke')
          missing.push(`${method.toUpperCase()} ${path} ${ok[0]} has no schema`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('lists required fields on every object schema, and marks nullable ones', () => {
    const problems: string[] = [];
    for (const [name, schema] of Object.entries(doc.components.schemas)) {
      if (schema.type !== 'object' || !schema.properties) continue;
      // RefreshDto: every field may be left out (the token then comes from the refresh cookie).
      if (!schema.required?.length && name !== 'RefreshDto') problems.push(`${name}: no required list`);
      for (const key of schema.required ?? [])
        if (!(key in schema.properties)) problems.push(`${name}.${key}: required but not a property`);
    }
    expect(problems).toEqual([]);
    // Responses always carry every key (null when unknown), so every property of a *Response is required;
    // but a TokenPair has no refreshToken when the token went into the cookie (refreshTokenIn: "cookie").
    const partial = Object.entries(doc.components.schemas)
      .filter(([name]) => name.endsWith('Response') || ['DeviceInfo', 'NameVersion', 'LocationInfo'].includes(name))
      .flatMap(([name, s]) =>
        Object.keys(s.properties ?? {})
          .filter((k) => !s.required?.includes(k))
          .map((k) => `${name}.${k}`),
      );
    expect(partial).toEqual(['TokenPairResponse.refreshToken']);
    expect(doc.components.schemas.UserResponse.properties!.name.nullable).toBe(true);
    const session = doc.components.schemas.SessionResponse;
    for (const key of ['location', 'endedAt', 'endReason', 'userAgent', 'ipAddress']) {
      expect(session.required).toContain(key);
      expect(session.properties![key].nullable).toBe(true);
    }
  });

  it('lists, per route and status, the error codes SPEC Part 2 names', () => {
    const bearer = {
      401: ['token_missing', 'token_invalid', 'token_expired', 'session_ended'],
      503: ['service_unavailable'],
    };
    const body = { 400: ['validation_failed'], 413: ['payload_too_large'], 415: ['unsupported_media_type'] };
    const limited = { 429: ['rate_limited'], 503: ['service_unavailable'] };
    const expected: Record<string, Record<number, string[]>> = {
      'post /v1/auth/register': { ...body, 409: ['email_taken'], ...limited },
      'post /v1/auth/login': { ...body, 401: ['invalid_credentials'], 403: ['account_disabled'], ...limited },
      'post /v1/auth/refresh': {
        ...body,
        401: ['refresh_invalid', 'refresh_reused', 'session_ended'],
        403: ['csrf_rejected'],
        ...limited,
      },
      'post /v1/auth/logout': bearer,
      'get /v1/auth/me': bearer,
      'get /v1/sessions': { ...bearer, 400: ['validation_failed'] },
      'delete /v1/sessions': { ...bearer, 400: ['validation_failed'], 403: ['reauth_required'] },
      'get /v1/sessions/{id}': { ...bearer, 400: ['validation_failed'], 404: ['not_found'] },
      'patch /v1/sessions/{id}': { ...bearer, ...body, 404: ['not_found'], 409: ['session_ended'] },
      'delete /v1/sessions/{id}': {
        ...bearer,
        400: ['validation_failed'],
        403: ['reauth_required'],
        404: ['not_found'],
      },
      'patch /v1/users/me': { ...bearer, ...body },
      'post /v1/users/me/password': { ...bearer, ...body, 403: ['invalid_credentials'], 429: ['rate_limited'] },
      'delete /v1/users/me': { ...bearer, ...body, 403: ['invalid_credentials'], 429: ['rate_limited'] },
      'post /v1/auth/reauthenticate': { ...bearer, ...body, 403: ['invalid_credentials'], 429: ['rate_limited'] },
      'get /v1/admin/users/{id}/sessions': {
        ...bearer,
        400: ['validation_failed'],
        403: ['forbidden'],
        404: ['not_found'],
      },
      'delete /v1/admin/users/{id}/sessions': {
        ...bearer,
        400: ['validation_failed'],
        403: ['forbidden'],
        404: ['not_found'],
      },
      'post /v1/admin/users/{id}/disable': {
        ...bearer,
        400: ['validation_failed'],
        403: ['forbidden'],
        404: ['not_found'],
      },
      'post /v1/admin/users/{id}/enable': {
        ...bearer,
        400: ['validation_failed'],
        403: ['forbidden'],
        404: ['not_found'],
      },
      'get /health': { 503: ['service_unavailable'] },
      'post /v1/auth/verify-email': { ...body, 400: ['validation_failed', 'link_invalid'], ...limited },
      'post /v1/auth/verify-email/resend': { ...bearer, ...limited },
      'post /v1/auth/not-me': { ...body, 400: ['validation_failed', 'link_invalid'], ...limited },
      'post /v1/auth/password/forgot': { ...body, ...limited },
      'post /v1/auth/password/reset': { ...body, 400: ['validation_failed', 'link_invalid'], ...limited },
      'post /v1/oauth/introspect': { ...body, 401: ['invalid_client'], 404: ['not_found'], ...limited },
      'post /v1/oauth/revoke': {
        ...body,
        401: ['invalid_client'],
        404: ['not_found'],
        503: ['service_unavailable'],
      },
    };
    const listed: Record<string, Record<number, unknown>> = {};
    for (const [path, ops] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(ops)) {
        const errors = Object.entries(op.responses).filter(([status]) => Number(status) >= 400);
        if (errors.length === 0) continue;
        listed[`${method} ${path}`] = Object.fromEntries(
          errors.map(([status, r]) => {
            const schema = r.content?.['application/json']?.schema;
            expect(schema?.allOf?.[0].$ref).toBe('#/components/schemas/ErrorResponse');
            return [status, [...(schema?.allOf?.[1].properties?.code.enum ?? [])].sort()];
          }),
        );
      }
    const sorted = Object.fromEntries(
      Object.entries(expected).map(([route, byStatus]) => [
        route,
        Object.fromEntries(Object.entries(byStatus).map(([status, codes]) => [status, [...codes].sort()])),
      ]),
    );
    expect(listed).toEqual(sorted);
  });

  it('lists the tags in the order a newcomer needs them, and every operation under one of them', () => {
    const order = ['auth', 'sessions', 'users', 'admin', 'health', 'keys', 'oauth'];
    expect(doc.tags?.map((t) => t.name)).toEqual(order);
    const untagged = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => !((op as { tags?: string[] }).tags ?? []).every((t) => order.includes(t)))
        .map(([method]) => `${method} ${path}`),
    );
    expect(untagged).toEqual([]);
  });

  it("prefills no email the README's tour registers (that newcomer would get 409 from Swagger UI)", () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    const tour = new Set(readme.match(/[\w.+-]+@[\w-]+\.[\w.]+/g) ?? []);
    expect(tour.size).toBeGreaterThan(0);
    const examples = [...generated.matchAll(/"example": "([^"]*@[^"]*)"/g)].map((m) => m[1]);
    expect(examples.length).toBeGreaterThan(0);
    expect(examples.filter((e) => tour.has(e))).toEqual([]);
  });
});
