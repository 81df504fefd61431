/**
 * A tiny STS for this test, speaking the query/XML protocol the SDK uses: AssumeRole issues
 * credentials, GetCallerIdentity answers for whichever issued key signed the request, so the test
 * proves the worker's call really went out with broker-vended credentials.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

export async function startStsStandIn() {
  const assumeRoleCalls: Record<string, string>[] = [];
  const issued = new Map<string, { roleArn: string; sessionName: string }>();
  const signedWith: string[] = [];
  let denyAssumeRole = false;

  const server = createServer(async (request, response) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    const params = Object.fromEntries(new URLSearchParams(body));
    const accessKeyId = /Credential=([^/]+)\//.exec(request.headers.authorization ?? '')?.[1] ?? '';
    const reply = (status: number, xml: string) => {
      response.writeHead(status, { 'content-type': 'text/xml' });
      response.end(xml);
    };
    const error = (status: number, code: string) =>
      reply(
        status,
        `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${code}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
      );

    if (params.Action === 'AssumeRole') {
      assumeRoleCalls.push(params);
      if (denyAssumeRole) return error(403, 'AccessDenied');
      const key = `ASIA${randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase()}`;
      issued.set(key, { roleArn: params.RoleArn ?? '', sessionName: params.RoleSessionName ?? '' });
      const expiration = new Date(Date.now() + Number(params.DurationSeconds ?? 3600) * 1000).toISOString();
      return reply(
        200,
        `<AssumeRoleResponse xmlns="${NS}"><AssumeRoleResult><Credentials><AccessKeyId>${key}</AccessKeyId><SecretAccessKey>stand-in-secret</SecretAccessKey><SessionToken>stand-in-token</SessionToken><Expiration>${expiration}</Expiration></Credentials><AssumedRoleUser><Arn>arn:aws:sts::0:assumed-role/x/y</Arn><AssumedRoleId>AROA:y</AssumedRoleId></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></AssumeRoleResponse>`,
      );
    }
    if (params.Action === 'GetCallerIdentity') {
      signedWith.push(accessKeyId);
      const session = issued.get(accessKeyId);
      if (!session) return error(403, 'InvalidClientTokenId');
      const [, , , , account, resource] = session.roleArn.split(':');
      const roleName = resource?.split('/').pop();
      return reply(
        200,
        `<GetCallerIdentityResponse xmlns="${NS}"><GetCallerIdentityResult><Arn>arn:aws:sts::${account}:assumed-role/${roleName}/${session.sessionName}</Arn><UserId>AROA:${session.sessionName}</UserId><Account>${account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
      );
    }
    return error(400, 'InvalidAction');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    assumeRoleCalls,
    issuedKeys: () => [...issued.keys()],
    signedWith,
    deny: (value: boolean) => {
      denyAssumeRole = value;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
