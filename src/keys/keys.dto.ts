import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** A public key of the JWKS; `y` only on EC keys (so not a *Response, whose keys are always all there). */
export class JsonWebKey {
  @ApiProperty({ enum: ['EC', 'OKP'], example: 'EC' })
  kty: string;

  @ApiProperty({ enum: ['P-256', 'Ed25519'], example: 'P-256' })
  crv: string;

  @ApiProperty({ description: 'base64url' })
  x: string;

  @ApiPropertyOptional({ description: 'base64url; EC keys only' })
  y?: string;

  @ApiProperty({ description: "The key's id: the `kid` of the tokens it signs (RFC 7638 thumbprint)" })
  kid: string;

  @ApiProperty({ enum: ['ES256', 'EdDSA'] })
  alg: string;

  @ApiProperty({ enum: ['sig'] })
  use: string;
}

export class JwksResponse {
  @ApiProperty({ type: [JsonWebKey] })
  keys: JsonWebKey[];
}

export class AuthorizationServerMetadata {
  @ApiProperty({ description: 'Equals the `iss` of the access tokens (JWT_ISSUER)' })
  issuer: string;

  @ApiProperty({ example: 'https://auth.example.com/.well-known/jwks.json' })
  jwks_uri: string;

  @ApiProperty({ example: 'https://auth.example.com/v1/oauth/introspect' })
  introspection_endpoint: string;

  @ApiProperty({ type: [String], example: ['client_secret_basic'] })
  introspection_endpoint_auth_methods_supported: string[];

  @ApiProperty({ example: 'https://auth.example.com/v1/oauth/revoke' })
  revocation_endpoint: string;

  @ApiProperty({ type: [String], example: ['client_secret_basic'] })
  revocation_endpoint_auth_methods_supported: string[];
}
