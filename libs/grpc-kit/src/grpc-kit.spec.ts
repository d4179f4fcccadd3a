import { Metadata, status } from '@grpc/grpc-js';
import { SignJWT } from 'jose';
import {
  InvalidArgumentError,
  JwtAuthenticator,
  NotFoundError,
  toGrpcStatusError,
  UnauthenticatedError,
} from './index';

const secret = 'grpc-kit-test-secret-with-32-bytes-at-least';
const key = new TextEncoder().encode(secret);

async function token(
  claims: Record<string, unknown>,
  expiresIn = '5m',
  signingKey = key,
): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt();
  return jwt.setExpirationTime(expiresIn).sign(signingKey);
}

function bearer(value: string): Metadata {
  const metadata = new Metadata();
  metadata.set('authorization', value);
  return metadata;
}

describe('JwtAuthenticator', () => {
  const auth = new JwtAuthenticator({ secret });

  it('turns a valid bearer token into a principal', async () => {
    const jwt = await token({
      sub: 'agent-1',
      tenant: 'acme',
      roles: ['agent', 'wizard'],
      queues: ['billing'],
    });
    await expect(auth.authenticate(bearer(`Bearer ${jwt}`))).resolves.toEqual({
      agentId: 'agent-1',
      tenantId: 'acme',
      roles: ['agent'],
      queueIds: ['billing'],
    });
  });

  it('rejects missing, malformed, forged, expired and incomplete tokens as UNAUTHENTICATED', async () => {
    const reject = (metadata: Metadata | undefined) =>
      expect(auth.authenticate(metadata)).rejects.toBeInstanceOf(UnauthenticatedError);
    await reject(undefined);
    await reject(new Metadata());
    await reject(bearer('Basic abc'));
    await reject(
      bearer(
        `Bearer ${await token({ sub: 'a', tenant: 't' }, '5m', new TextEncoder().encode('x'.repeat(40)))}`,
      ),
    );
    await reject(bearer(`Bearer ${await token({ sub: 'a', tenant: 't' }, '-10m')}`));
    await reject(bearer(`Bearer ${await token({ sub: 'a' })}`));
  });

  it('refuses a secret shorter than 256 bits at start-up', () => {
    expect(() => new JwtAuthenticator({ secret: 'short' })).toThrow('at least 32 bytes');
  });
});

describe('toGrpcStatusError', () => {
  it('keeps the code and message of request errors and hides everything else', () => {
    expect(toGrpcStatusError(new NotFoundError('conversation x not found'))).toMatchObject({
      code: status.NOT_FOUND,
      details: 'conversation x not found',
    });
    expect(
      toGrpcStatusError(new InvalidArgumentError('page.page_size', 'must not be negative')),
    ).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: 'page.page_size: must not be negative',
    });
    expect(toGrpcStatusError(new Error('secret stack detail'))).toMatchObject({
      code: status.INTERNAL,
      details: 'internal error',
    });
  });
});
