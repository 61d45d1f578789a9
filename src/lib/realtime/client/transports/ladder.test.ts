// Over 300 lines: the fakes of EventSource and pusher-js are shared by every rung's test.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PUSHER_EVENTS, serverToUserChannel, SSE_EVENTS } from '../../protocol';
import { SignedOutError, type FetchAfter } from '../api';
import { MessageStore } from '../message-store';
import type { ClientChatMessage } from '../types';
import { startLadder, type LadderSink } from './ladder';
import { pollingTransport } from './polling';
import { pusherTransport, type PusherClass } from './pusher';
import { sseTransport, type EventSourceLike } from './sse';

// The transport ladder with the real transports, the real message store and fakes of the two
// browser APIs (EventSource, pusher-js) that the test drives by hand. Timers are faked, so the
// 5 s polling and the 30 s stream retry are stepped through, not waited for.

/** A browser EventSource the test opens, feeds, drops and refuses. */
class FakeEventSource implements EventSourceLike {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  static instances: FakeEventSource[] = [];

  readyState = FakeEventSource.CONNECTING;
  onopen: ((event: Event) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  private readonly listeners = new Map<string, Array<(event: MessageEvent<string>) => void>>();

  constructor(readonly url: string) {
    FakeEventSource.instances.push(this);
  }
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  close(): void {
    this.readyState = FakeEventSource.CLOSED;
  }
  get closed(): boolean {
    return this.readyState === FakeEventSource.CLOSED;
  }

  // Driven by the test, as the server and the browser would.
  open(): void {
    this.readyState = FakeEventSource.OPEN;
    this.onopen?.(new Event('open'));
  }
  emit(type: string, data: unknown): void {
    for (const listener of this.listeners.get(type) ?? []) listener(new MessageEvent(type, { data: JSON.stringify(data) }));
  }
  /** The connection dropped; the browser will reconnect by itself. */
  drop(): void {
    this.readyState = FakeEventSource.CONNECTING;
    this.onerror?.(new Event('error'));
  }
  /** The server answered with an error status: the browser gives up. */
  refuse(): void {
    this.readyState = FakeEventSource.CLOSED;
    this.onerror?.(new Event('error'));
  }
}

/** pusher-js as far as the transport uses it. */
class FakePusher {
  static instances: FakePusher[] = [];
  /** Bindings on `pusher.user`: events sent to the signed-in user, and `pusher:signin_error`. */
  readonly bindings = new Map<string, (data: never) => void>();
  /** Channels subscribed to by name (the transport subscribes to none: pusher-js joins the user's own). */
  readonly channels: string[] = [];
  private stateChange?: (change: { current: string }) => void;
  private onMessage?: (message: { event: string; channel?: string }) => void;
  disconnected = false;
  signedIn = false;
  readonly user = {
    bind: (event: string, callback: (data: never) => void) => void this.bindings.set(event, callback),
  };
  readonly connection = {
    bind: (event: string, callback: (arg: never) => void) => {
      if (event === 'state_change') this.stateChange = callback as (change: { current: string }) => void;
      if (event === 'message') this.onMessage = callback as (message: { event: string; channel?: string }) => void;
    },
  };

  constructor(
    readonly key: string,
    readonly options: { cluster: string; channelAuthorization: { endpoint: string } },
  ) {
    FakePusher.instances.push(this);
  }
  subscribe(channel: string) {
    this.channels.push(channel);
    return { bind: () => undefined };
  }
  signin(): void {
    this.signedIn = true;
  }
  /** As pusher-js does, our own disconnect() is reported as the state `disconnected` too. */
  disconnect(): void {
    this.disconnected = true;
    this.changeState('disconnected');
  }
  /** An event sent to the signed-in user (or pusher-js's `pusher:signin_error`). */
  trigger(event: string, data: unknown): void {
    (this.bindings.get(event) as ((data: unknown) => void) | undefined)?.(data);
  }
  /** The sign-in succeeded and the server confirmed the connection on `#server-to-user-{id}`. */
  joinUserChannel(userId = 'u1'): void {
    this.message(PUSHER_EVENTS.internalSubscriptionSucceeded, serverToUserChannel(userId));
  }
  /** A protocol message on the connection. */
  message(event: string, channel?: string): void {
    this.onMessage?.({ event, channel });
  }
  changeState(current: string): void {
    this.stateChange?.({ current });
  }
}

const message = (position: number): ClientChatMessage => ({
  id: `m${position}`,
  type: 'INFO',
  taskId: null,
  content: `message ${position}`,
  attachments: [],
  data: {},
  createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, position)).toISOString(),
  read: false,
  position,
  priority: 'NORMAL',
});

/** The server's history (what `GET /history?after=` answers) and every `after` it was asked for. */
function fakeHistory(count: number) {
  const stored = Array.from({ length: count }, (_, i) => message(i + 1));
  const asked: number[] = [];
  const fetchAfter: FetchAfter = async (after) => {
    asked.push(after);
    const page = stored.filter((m) => m.position > after);
    return { messages: page.slice(0, 200), hasMore: page.length > 200 };
  };
  return { stored, asked, fetchAfter };
}

/** A sink over a real message store, recording states, count refreshes and errors. */
function client(initial: ClientChatMessage[] = []) {
  const store = new MessageStore();
  store.add(initial);
  const states: string[] = [];
  /** Each state with the transport it came from, as the UI shows it. */
  const shown: string[] = [];
  const errors: unknown[] = [];
  let countRefreshes = 0;
  const sink: LadderSink = {
    messages: (messages, options) => void store.add(messages, options),
    read: (event) => void store.markRead(event),
    state: (state, transport) => {
      states.push(state);
      shown.push(`${state} ${transport}`);
    },
    countChanged: () => void countRefreshes++,
    error: (err) => void errors.push(err),
  };
  return { store, states, shown, errors, sink, cursor: () => store.cursor, counts: () => countRefreshes };
}

const positions = (store: MessageStore) => store.messages.map((m) => m.position);
const lastSource = () => FakeEventSource.instances.at(-1)!;

describe('transport ladder', () => {
  const stops: Array<() => void> = [];

  beforeEach(() => {
    vi.useFakeTimers();
    FakeEventSource.instances = [];
    FakePusher.instances = [];
  });
  afterEach(() => {
    for (const stop of stops.splice(0)) stop();
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  const start = (...args: Parameters<typeof startLadder>) => {
    stops.push(startLadder(...args));
    return stops.at(-1)!;
  };

  it('opens the stream at the cursor, takes its messages and read events, and goes live', () => {
    const c = client([message(1), message(2)]);
    start([sseTransport({ EventSource: FakeEventSource }), pollingTransport({ fetchAfter: fakeHistory(0).fetchAfter })], c.cursor, c.sink);
    expect(FakeEventSource.instances.map((s) => s.url)).toEqual(['/api/chat-messages/stream?since=2']);
    lastSource().open();
    lastSource().emit(SSE_EVENTS.chatMessage, message(3));
    lastSource().emit(SSE_EVENTS.chatMessage, message(3));
    lastSource().emit(SSE_EVENTS.read, { ids: ['m1'], positions: [1] });
    lastSource().emit(SSE_EVENTS.read, { upTo: 2 });
    expect(c.states).toEqual(['live']);
    expect(positions(c.store)).toEqual([1, 2, 3]);
    expect(c.store.messages.map((m) => m.read)).toEqual([true, true, false]);
    expect(c.cursor()).toBe(3);
    expect(c.counts()).toBe(1);
  });

  it('treats session-ended as signed out: closes the stream, reports SignedOutError, and neither reconnects nor polls', async () => {
    const history = fakeHistory(0);
    const c = client();
    start([sseTransport({ EventSource: FakeEventSource }), pollingTransport({ fetchAfter: history.fetchAfter })], c.cursor, c.sink);
    const source = lastSource();
    source.open();
    source.emit(SSE_EVENTS.sessionEnded, {});
    expect(source.closed).toBe(true);
    expect(c.errors).toHaveLength(1);
    expect(c.errors[0]).toBeInstanceOf(SignedOutError);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(FakeEventSource.instances).toHaveLength(1);
    expect(history.asked).toEqual([]);
  });

  it('stays on the stream while EventSource reconnects by itself', async () => {
    const history = fakeHistory(0);
    const c = client();
    start([sseTransport({ EventSource: FakeEventSource }), pollingTransport({ fetchAfter: history.fetchAfter })], c.cursor, c.sink);
    lastSource().open();
    lastSource().drop();
    lastSource().open();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(c.states).toEqual(['live', 'reconnecting', 'live']);
    expect(FakeEventSource.instances).toHaveLength(1);
    expect(history.asked).toEqual([]);
  });

  it('falls back to polling from the same cursor when the stream is refused, and retries the stream after 30 s', async () => {
    const history = fakeHistory(4);
    const c = client([message(1)]);
    start([sseTransport({ EventSource: FakeEventSource }), pollingTransport({ fetchAfter: history.fetchAfter })], c.cursor, c.sink);
    const refused = lastSource();
    refused.open();
    refused.emit(SSE_EVENTS.chatMessage, message(2));
    refused.refuse();
    expect(c.states).toEqual(['live', 'polling']);
    expect(c.shown).toEqual(['live sse', 'polling polling']);
    await vi.advanceTimersByTimeAsync(0);
    // The poll starts where the stream stopped, and brings the rest.
    expect(history.asked).toEqual([2]);
    expect(positions(c.store)).toEqual([1, 2, 3, 4]);

    // A late event from the refused stream is dropped: only the running transport is heard.
    refused.emit(SSE_EVENTS.chatMessage, message(9));
    expect(positions(c.store)).toEqual([1, 2, 3, 4]);

    history.stored.push(message(5));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(history.asked).toEqual([2, 4]);
    expect(c.cursor()).toBe(5);

    await vi.advanceTimersByTimeAsync(25_000);
    expect(FakeEventSource.instances).toHaveLength(2);
    expect(lastSource().url).toBe('/api/chat-messages/stream?since=5');
    // The retry is a probe: polling goes on (and the UI still says so) until the stream is open.
    // (It used to stop polling first, leaving the tab with nothing while the retry connected.)
    const pollsDuringProbe = history.asked.length;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(history.asked).toHaveLength(pollsDuringProbe + 1);
    expect(c.shown.at(-1)).toBe('polling polling');
    lastSource().open();
    expect(c.shown.at(-1)).toBe('live sse');
    const polls = history.asked.length;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(history.asked).toHaveLength(polls);
  });

  it('keeps retrying a stream that is refused again, polling in between', async () => {
    const history = fakeHistory(0);
    const c = client();
    start([sseTransport({ EventSource: FakeEventSource }), pollingTransport({ fetchAfter: history.fetchAfter })], c.cursor, c.sink);
    lastSource().refuse();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(FakeEventSource.instances).toHaveLength(2);
    lastSource().refuse();
    // A refused retry is a failed probe: polling never stopped, so it is not started (or shown) again.
    expect(c.states).toEqual(['polling']);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(FakeEventSource.instances).toHaveLength(3);
    expect(FakeEventSource.instances.slice(0, 2).every((s) => s.closed)).toBe(true);
    // One polling transport all along: one request every 5 s, never two.
    expect(history.asked).toHaveLength(1 + 60_000 / 5_000);
  });

  it('polls for good when the browser has no EventSource', async () => {
    vi.stubGlobal('EventSource', undefined);
    const history = fakeHistory(2);
    const c = client();
    start([sseTransport(), pollingTransport({ fetchAfter: history.fetchAfter })], c.cursor, c.sink);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(c.states).toEqual(['polling']);
    expect(history.asked).toEqual([0, ...Array.from({ length: 12 }, () => 2)]);
    expect(positions(c.store)).toEqual([1, 2]);
  });

  it('shows Pusher events at once without moving the cursor, and lets the catch-up move it', async () => {
    const history = fakeHistory(3);
    const c = client([message(1)]);
    const pusher = pusherTransport({
      settings: { key: 'key', cluster: 'eu', useTLS: true },
      userId: 'u1',
      fetchAfter: history.fetchAfter,
      loadPusher: async () => FakePusher as unknown as PusherClass,
    });
    start([pusher, sseTransport({ EventSource: FakeEventSource }), pollingTransport({ fetchAfter: history.fetchAfter })], c.cursor, c.sink);
    await vi.advanceTimersByTimeAsync(0);
    const [client1] = FakePusher.instances;
    expect(client1!.channels).toEqual([]);
    expect(client1!.options).toMatchObject({ cluster: 'eu', channelAuthorization: { endpoint: '/api/pusher/auth' } });

    client1!.trigger(PUSHER_EVENTS.chatMessage, { ...message(3), read: undefined, data: null });
    expect(positions(c.store)).toEqual([1, 3]);
    expect(c.store.messages[1]!.data).toEqual({});
    expect(c.cursor()).toBe(1);
    // A thin event (over 10 KB) is not shown; the catch-up brings its body.
    client1!.trigger(PUSHER_EVENTS.chatMessage, {
      id: 'm4',
      type: 'INFO',
      taskId: null,
      createdAt: message(4).createdAt,
      position: 4,
      truncated: true,
    });
    history.stored.push(message(4));
    await vi.advanceTimersByTimeAsync(200);
    expect(history.asked).toEqual([1]);
    expect(positions(c.store)).toEqual([1, 2, 3, 4]);
    expect(c.cursor()).toBe(4);

    client1!.joinUserChannel();
    expect(c.states).toEqual(['live']);
  });

  it('hands the agent activity of the stream and of Pusher to the sink, without touching messages or the cursor', async () => {
    const activity = { taskId: 't1', state: 'booking' as const, label: 'Booking…', ttlMs: 10_000, at: new Date(0).toISOString() };
    const history = fakeHistory(1);
    const seen: Array<[string, unknown]> = [];
    const viaStream = client([message(1)]);
    start([sseTransport({ EventSource: FakeEventSource })], viaStream.cursor, {
      ...viaStream.sink,
      activity: (a) => void seen.push(['sse', a]),
    });
    lastSource().open();
    lastSource().emit(SSE_EVENTS.activity, activity);
    const viaPusher = client([message(1)]);
    const pusher = pusherTransport({
      settings: { key: 'key', cluster: 'eu', useTLS: true },
      userId: 'u1',
      fetchAfter: history.fetchAfter,
      loadPusher: async () => FakePusher as unknown as PusherClass,
    });
    start([pusher], viaPusher.cursor, { ...viaPusher.sink, activity: (a) => void seen.push(['pusher', a]) });
    await vi.advanceTimersByTimeAsync(0);
    FakePusher.instances.at(-1)!.trigger(PUSHER_EVENTS.agentActivity, activity);
    expect(seen.filter(([via]) => via === 'sse')).toContainEqual(['sse', activity]);
    expect(seen.filter(([via]) => via === 'pusher')).toContainEqual(['pusher', activity]);
    expect([viaStream.cursor(), viaPusher.cursor()]).toEqual([1, 1]);
    expect(positions(viaStream.store)).toEqual([1]);
  });

  it('climbs down from Pusher to the stream when Pusher is unavailable, at the cursor reached so far', async () => {
    const history = fakeHistory(2);
    const c = client();
    const pusher = pusherTransport({
      settings: { key: 'key', cluster: 'eu', useTLS: true },
      userId: 'u1',
      fetchAfter: history.fetchAfter,
      loadPusher: async () => FakePusher as unknown as PusherClass,
    });
    start([pusher, sseTransport({ EventSource: FakeEventSource }), pollingTransport({ fetchAfter: history.fetchAfter })], c.cursor, c.sink);
    await vi.advanceTimersByTimeAsync(0);
    const [client1] = FakePusher.instances;
    client1!.joinUserChannel();
    await vi.advanceTimersByTimeAsync(200);
    expect(c.cursor()).toBe(2);
    client1!.changeState('connecting');
    client1!.changeState('unavailable');
    expect(client1!.disconnected).toBe(true);
    expect(FakeEventSource.instances.map((s) => s.url)).toEqual(['/api/chat-messages/stream?since=2']);
    lastSource().open();
    expect(c.states).toEqual(['live', 'reconnecting', 'live']);
    expect(c.shown).toEqual(['live pusher', 'reconnecting pusher', 'live sse']);
    // Unavailable can pass (the server restarts): Pusher is tried again after 30 s, see below.
    // (It used to count as failed for good, leaving the tab on the stream until a reload.)
    await vi.advanceTimersByTimeAsync(30_000);
    expect(FakePusher.instances).toHaveLength(2);
  });

  const pusherLadder = (history: ReturnType<typeof fakeHistory>, c: ReturnType<typeof client>, loadPusher?: () => Promise<PusherClass>) =>
    start(
      [
        pusherTransport({
          settings: { key: 'key', cluster: 'eu', useTLS: true },
          userId: 'u1',
          fetchAfter: history.fetchAfter,
          loadPusher: loadPusher ?? (async () => FakePusher as unknown as PusherClass),
        }),
        sseTransport({ EventSource: FakeEventSource }),
        pollingTransport({ fetchAfter: history.fetchAfter }),
      ],
      c.cursor,
      c.sink,
      { retry: { minMs: 30_000, maxMs: 120_000 } },
    );

  it('signs the Pusher connection in as the user, through /api/pusher/user-auth', async () => {
    const c = client();
    pusherLadder(fakeHistory(0), c);
    await vi.advanceTimersByTimeAsync(0);
    const [client1] = FakePusher.instances;
    expect(client1!.options).toMatchObject({ userAuthentication: { endpoint: '/api/pusher/user-auth', transport: 'ajax' } });
    expect(client1!.signedIn).toBe(true);
  });

  it('goes live on Pusher only once signed in (the server confirmed its user channel), then catches up; never joins the private channel', async () => {
    const history = fakeHistory(2);
    const c = client();
    pusherLadder(history, c);
    await vi.advanceTimersByTimeAsync(0);
    const [client1] = FakePusher.instances;
    client1!.changeState('connecting');
    client1!.changeState('connected');
    // Connected, and another channel confirmed, but not yet signed in: not live, nothing fetched.
    client1!.message(PUSHER_EVENTS.internalSubscriptionSucceeded, 'private-user-u1');
    client1!.message(PUSHER_EVENTS.internalSubscriptionSucceeded, serverToUserChannel('someone-else'));
    await vi.advanceTimersByTimeAsync(200);
    expect(c.states).toEqual(['reconnecting']);
    expect(history.asked).toEqual([]);

    client1!.joinUserChannel('u1');
    expect(c.shown).toEqual(['reconnecting pusher', 'live pusher']);
    await vi.advanceTimersByTimeAsync(200);
    expect(history.asked).toEqual([0]);
    expect(positions(c.store)).toEqual([1, 2]);
    expect(client1!.channels).toEqual([]);
    expect(FakeEventSource.instances).toHaveLength(0);
  });

  it('moves to the stream when the Pusher sign-in is refused, and tries Pusher again later', async () => {
    const history = fakeHistory(0);
    const c = client();
    pusherLadder(history, c);
    await vi.advanceTimersByTimeAsync(0);
    const [client1] = FakePusher.instances;
    client1!.trigger(PUSHER_EVENTS.signinError, { type: 'AuthError', error: 'HTTP 401', status: 401 });
    expect(client1!.disconnected).toBe(true);
    expect(FakeEventSource.instances).toHaveLength(1);
    lastSource().open();
    expect(c.shown).toEqual(['live sse']);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(FakePusher.instances).toHaveLength(2);
  });

  it('climbs back from the stream to Pusher by itself: a background probe, promoted only once it is live', async () => {
    const history = fakeHistory(2);
    const c = client();
    pusherLadder(history, c);
    await vi.advanceTimersByTimeAsync(0);
    FakePusher.instances[0]!.changeState('unavailable');
    const stream = lastSource();
    stream.open();
    stream.emit(SSE_EVENTS.chatMessage, message(1));

    // First probe after 30 s: the stream keeps running and stays on screen while Pusher connects.
    await vi.advanceTimersByTimeAsync(30_000);
    expect(FakePusher.instances).toHaveLength(2);
    const probe1 = FakePusher.instances[1]!;
    probe1.changeState('connecting');
    expect(stream.closed).toBe(false);
    expect(c.shown).toEqual(['live sse']);
    // It fails: nothing shown, the stream still delivers, and the next probe waits longer (60 s).
    probe1.changeState('unavailable');
    expect(probe1.disconnected).toBe(true);
    stream.emit(SSE_EVENTS.chatMessage, message(2));
    expect(positions(c.store)).toEqual([1, 2]);
    expect(c.shown).toEqual(['live sse']);
    await vi.advanceTimersByTimeAsync(59_000);
    expect(FakePusher.instances).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(FakePusher.instances).toHaveLength(3);

    // The second probe subscribes: it is promoted, the stream is closed, one cursor throughout.
    const probe2 = FakePusher.instances[2]!;
    history.stored.push(message(3));
    stream.emit(SSE_EVENTS.chatMessage, message(3));
    probe2.joinUserChannel();
    expect(stream.closed).toBe(true);
    expect(c.shown).toEqual(['live sse', 'live pusher']);
    await vi.advanceTimersByTimeAsync(200);
    expect(history.asked.at(-1)).toBe(3);
    probe2.trigger(PUSHER_EVENTS.chatMessage, message(3));
    expect(positions(c.store)).toEqual([1, 2, 3]);
    // A late event of the stopped stream is dropped.
    stream.emit(SSE_EVENTS.chatMessage, message(9));
    expect(positions(c.store)).toEqual([1, 2, 3]);

    // Promoted means the backoff starts over: after the next outage the first probe is 30 s away again.
    probe2.changeState('unavailable');
    lastSource().open();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(FakePusher.instances).toHaveLength(4);
    expect(FakeEventSource.instances).toHaveLength(2);
  });

  it('goes to the stream when the Pusher server closes the connection (a terminate), and comes back later', async () => {
    const history = fakeHistory(0);
    const c = client();
    pusherLadder(history, c);
    await vi.advanceTimersByTimeAsync(0);
    const [client1] = FakePusher.instances;
    client1!.joinUserChannel();
    // Code 4009 (terminated, or never signed in): pusher-js disconnects by itself.
    client1!.changeState('disconnected');
    expect(FakeEventSource.instances).toHaveLength(1);
    lastSource().open();
    expect(c.shown).toEqual(['live pusher', 'live sse']);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(FakePusher.instances).toHaveLength(2);
  });

  it('tries Pusher again when its script failed to load, but never when the browser has no WebSocket', async () => {
    const history = fakeHistory(0);
    const unloadable = client();
    let loads = 0;
    pusherLadder(history, unloadable, async () => {
      loads++;
      throw new Error('ChunkLoadError');
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(unloadable.shown).toEqual([]);
    lastSource().open();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(loads).toBe(2);

    const noWebSocket = client();
    pusherLadder(history, noWebSocket);
    await vi.advanceTimersByTimeAsync(0);
    const pushers = FakePusher.instances.length;
    FakePusher.instances.at(-1)!.changeState('failed');
    await vi.advanceTimersByTimeAsync(300_000);
    expect(FakePusher.instances).toHaveLength(pushers);
  });

  it('keeps the Pusher retry when the stream falls to polling too, and leaves polling for Pusher once it is live', async () => {
    const history = fakeHistory(0);
    const c = client();
    pusherLadder(history, c);
    await vi.advanceTimersByTimeAsync(0);
    FakePusher.instances[0]!.changeState('unavailable');
    await vi.advanceTimersByTimeAsync(10_000);
    lastSource().refuse();
    expect(c.shown).toEqual(['polling polling']);
    // The first retry timer (Pusher's, 30 s after its failure) still fires, and probes the best rung: Pusher.
    await vi.advanceTimersByTimeAsync(20_000);
    expect(FakePusher.instances).toHaveLength(2);
    expect(FakeEventSource.instances).toHaveLength(1);
    FakePusher.instances[1]!.joinUserChannel();
    expect(c.shown).toEqual(['polling polling', 'live pusher']);
    const polls = history.asked.length;
    await vi.advanceTimersByTimeAsync(120_000);
    // Only Pusher's own catch-up reads the history now; the stream is not retried below Pusher.
    expect(history.asked.length).toBeLessThanOrEqual(polls + 1);
    expect(FakeEventSource.instances).toHaveLength(1);
  });

  it('stops everything it started', async () => {
    const history = fakeHistory(0);
    const c = client();
    const stop = start(
      [sseTransport({ EventSource: FakeEventSource }), pollingTransport({ fetchAfter: history.fetchAfter })],
      c.cursor,
      c.sink,
    );
    lastSource().refuse();
    await vi.advanceTimersByTimeAsync(0);
    expect(history.asked).toHaveLength(1);
    stop();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(history.asked).toHaveLength(1);
    expect(FakeEventSource.instances).toHaveLength(1);
  });
});
