import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKeyedHost, type KeyedHost } from '../support/consolePage';
import { startPhone, type Phone } from '../support/phone';

describe('GET /api/calls/{sid}/recordings/{recordingSid}', () => {
  let phone: Phone;
  let call: { sid: string; recording: string };

  beforeAll(async () => {
    phone = await startPhone({ flows: 'flows/examples/voicemail.json' });
    const played = await phone.call({ dialOutcome: 'no-answer', digits: ['#'], recordingSeconds: 4 });
    const record = (await (await fetch(`${phone.appUrl}/api/calls/${played.sid}`)).json()) as { recordings: string[] };
    call = { sid: played.sid, recording: /\/Recordings\/(RE\w+)/.exec(record.recordings[0] ?? '')![1]! };
  }, 60_000);
  afterAll(() => phone?.close());

  it("streams the call's recording, fetched with the app's credentials", async () => {
    const response = await fetch(`${phone.appUrl}/api/calls/${call.sid}/recordings/${call.recording}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('audio/mpeg');
    const audio = Buffer.from(await response.arrayBuffer());
    expect([...audio.subarray(0, 2)]).toEqual([0xff, 0xfb]);
  });

  it('serves only a recording the call lists', async () => {
    const other = `RE${'0'.repeat(32)}`;
    const response = await fetch(`${phone.appUrl}/api/calls/${call.sid}/recordings/${other}`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: `Call ${call.sid} has no recording ${other}` });
  });

  it('names the bad SID', async () => {
    const response = await fetch(`${phone.appUrl}/api/calls/${call.sid}/recordings/nope`);
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toContain('"field":"recordingSid"');
  });

  it("answers the flow file's graph", async () => {
    const graph = (await (await fetch(`${phone.appUrl}/api/flows/graph`)).json()) as {
      file: string;
      nodes: Array<{ step?: string }>;
      edges: Array<{ label: string }>;
    };
    expect(graph.file).toBe('flows/examples/voicemail.json');
    expect(graph.nodes.map((node) => node.step).filter(Boolean)).toEqual(['forward', 'voicemail', 'thanks']);
    expect(graph.edges.map((edge) => edge.label)).toEqual(['answer', 'busy', 'no answer', 'failed', 'recorded']);
  });
});

describe('function keys on the local host (LOCAL_FUNCTION_KEY), as Azure checks them', () => {
  const KEY = 'a-local-key';
  let host: KeyedHost;

  beforeAll(async () => {
    host = await startKeyedHost(KEY);
  });
  afterAll(() => host?.close());

  it('refuses the console and every read without the key, and serves them with it', async () => {
    for (const path of ['console', 'calls', 'messages', 'flows/graph']) {
      expect((await fetch(`${host.url}/api/${path}`)).status, path).toBe(401);
      expect((await fetch(`${host.url}/api/${path}?code=wrong`)).status, path).toBe(401);
      expect((await fetch(`${host.url}/api/${path}?code=${KEY}`)).status, path).toBe(200);
      expect((await fetch(`${host.url}/api/${path}`, { headers: { 'x-functions-key': KEY } })).status, path).toBe(200);
    }
  });

  it('leaves anonymous functions open', async () => {
    expect((await fetch(`${host.url}/api/health`)).status).not.toBe(401);
  });

  it('serves the page as HTML that only runs its own script and cannot be framed', async () => {
    const response = await fetch(`${host.url}/api/console?code=${KEY}`);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toBe("frame-ancestors 'none'");
    expect(await response.text()).toMatch(
      /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'sha256-/,
    );
  });
});
