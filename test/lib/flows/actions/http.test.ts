import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { urlProblem } from '../../../../lib/flows/actions/http';
import { startFakeEndpoint, type FakeEndpoint } from '../../../support/fakeEndpoint';
import { useSettings } from '../../../support/settings';
import { runAction } from './support';

let crm: FakeEndpoint;
beforeAll(async () => {
  crm = await startFakeEndpoint({ json: { tier: 'gold' } });
});
afterAll(async () => {
  useSettings({});
  await crm.close();
});

describe('http: where it may send a request', () => {
  it('only to a host written out, over https (http only to this machine), with no credentials in the URL', () => {
    expect(urlProblem('https://crm.example.com/customers/{{ trigger.call.From }}')).toBeUndefined();
    expect(urlProblem('http://127.0.0.1:8080/x')).toBeUndefined();
    expect(urlProblem('http://crm.example.com/x')).toMatch(/must be https/);
    expect(urlProblem('https://{{ flow.variables.host }}/x')).toMatch(/scheme and host written out/);
    expect(urlProblem('https://user:pw@crm.example.com/x')).toMatch(/must not carry credentials/);
    expect(urlProblem('/customers')).toMatch(/absolute URL/);
  });
});

describe('http: asking the owner’s system', () => {
  it('keeps the answer under its name and goes to ok; what a template inserts in the path is URL-encoded', async () => {
    crm.answer({ json: { tier: 'gold' } });
    const ran = await runAction('http', {
      name: 'crm',
      url: `${crm.url}/customers/{{ trigger.call.From }}?q={{ trigger.call.From }}`,
      ok: 'vip',
    });
    expect(ran.next).toBe('vip');
    expect(ran.state.widgets.crm).toEqual({ status: 200, parsed: { tier: 'gold' } });
    const request = crm.requests.at(-1)!;
    expect(request.path).toBe('/customers/%2B15550100199');
    expect(request.query.get('q')).toBe('+15550100199');
    expect(ran.effects[0]).toMatchObject({ kind: 'http', name: 'crm', outcome: 'ok', status: 200, next: 'vip' });
  });

  it('sends a header from an app setting, never written in the file', async () => {
    useSettings({ CRM_TOKEN: 's3cret' });
    await runAction('http', {
      name: 'crm',
      url: `${crm.url}/me`,
      headers: { Authorization: { setting: 'CRM_TOKEN', prefix: 'Bearer ' } },
    });
    expect(crm.requests.at(-1)!.headers.authorization).toBe('Bearer s3cret');
    const missing = await runAction('http', {
      name: 'crm',
      url: `${crm.url}/me`,
      headers: { Authorization: { setting: 'NOT_SET_ANYWHERE' } },
      failed: 'sorry',
    });
    expect(missing.next).toBe('sorry');
    expect(missing.effects[0]!.reason).toContain('NOT_SET_ANYWHERE');
  });

  it('goes to failed, else onError, on an answer that is not 2xx, and keeps its status', async () => {
    crm.answer({ status: 500, text: 'down' });
    const failed = await runAction('http', { name: 'crm', url: `${crm.url}/x`, failed: 'sorry' }, 'oops');
    expect(failed.next).toBe('sorry');
    expect(failed.state.widgets.crm).toMatchObject({ status: 500 });
    expect((await runAction('http', { name: 'crm', url: `${crm.url}/x` }, 'oops')).next).toBe('oops');
  });

  it('posts a JSON body whose strings are templates', async () => {
    crm.answer({ json: {} });
    await runAction('http', {
      name: 'crm',
      method: 'POST',
      url: `${crm.url}/calls`,
      json: { from: '{{ trigger.call.From }}', count: 2 },
    });
    const request = crm.requests.at(-1)!;
    expect(request.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request.body)).toEqual({ from: '+15550100199', count: 2 });
  });
});
