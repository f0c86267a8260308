/**
 * Headless Chromium driven over the DevTools protocol without any npm
 * package: `--remote-debugging-pipe` speaks NUL-terminated JSON messages on
 * file descriptors 3 (to the browser) and 4 (from it). Enough of the
 * protocol to open a page, collect console errors and uncaught exceptions,
 * evaluate expressions and take screenshots.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { findOnPath } from '../../src/qemu/live/find-binary.js';

/** The browser binary, or undefined (tests skip, saying so). */
export const CHROMIUM = findOnPath('chromium') ?? findOnPath('chromium-browser') ?? findOnPath('google-chrome');
export const CHROMIUM_SKIP = 'no chromium on PATH (Debian: apt-get install chromium; .ci/run installs it)';

interface Message {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
}

export interface PageProblem {
  kind: 'console' | 'exception' | 'log';
  text: string;
}

export class Chromium {
  private readonly proc: ChildProcess;
  private readonly toBrowser: Writable;
  private readonly profile: string;
  private next = 0;
  private readonly pending = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void }>();
  private readonly listeners: ((m: Message) => void)[] = [];
  private buffer = Buffer.alloc(0);
  private exited = false;

  private constructor(binary: string) {
    this.profile = mkdtempSync(join(tmpdir(), 'fwcfg-chromium-'));
    const args = ['--headless', '--remote-debugging-pipe', '--no-first-run', '--no-default-browser-check', '--disable-gpu', '--disable-extensions', '--disable-background-networking', `--user-data-dir=${this.profile}`];
    // Chromium refuses to run as root with its sandbox on
    if (process.getuid?.() === 0) args.push('--no-sandbox');
    this.proc = spawn(binary, [...args, 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
    this.proc.stderr!.resume();
    this.toBrowser = this.proc.stdio[3] as Writable;
    const fromBrowser = this.proc.stdio[4] as Readable;
    fromBrowser.on('data', (chunk: Buffer) => this.receive(chunk));
    this.proc.on('exit', () => {
      this.exited = true;
      for (const p of this.pending.values()) p.reject(new Error('chromium exited'));
      this.pending.clear();
    });
  }

  static launch(binary = CHROMIUM): Chromium {
    if (binary === undefined) throw new Error(CHROMIUM_SKIP);
    return new Chromium(binary);
  }

  private receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (let end = this.buffer.indexOf(0); end >= 0; end = this.buffer.indexOf(0)) {
      const m = JSON.parse(this.buffer.subarray(0, end).toString('utf8')) as Message;
      this.buffer = this.buffer.subarray(end + 1);
      if (m.id !== undefined) {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.error !== undefined) p?.reject(new Error(m.error.message));
        else p?.resolve(m);
      } else for (const l of this.listeners) l(m);
    }
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    if (this.exited) return Promise.reject(new Error('chromium exited'));
    const id = ++this.next;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: (m) => resolve(m.result ?? {}), reject });
      this.toBrowser.write(JSON.stringify({ id, method, params, ...(sessionId !== undefined ? { sessionId } : {}) }) + '\0');
    });
  }

  /** Opens `url` in a new tab of `width` x `height` and waits for its load event. */
  async open(url: string, width = 1280, height = 900): Promise<Page> {
    const { targetId } = (await this.send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
    const { sessionId } = (await this.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
    const page = new Page(this, sessionId);
    this.listeners.push((m) => page.event(m));
    await this.send('Runtime.enable', {}, sessionId);
    await this.send('Log.enable', {}, sessionId);
    await this.send('Page.enable', {}, sessionId);
    await this.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false }, sessionId);
    const loaded = page.waitFor('Page.loadEventFired');
    const nav = (await this.send('Page.navigate', { url }, sessionId)) as { errorText?: string };
    if (nav.errorText !== undefined) throw new Error(`navigating to ${url}: ${nav.errorText}`);
    await loaded;
    return page;
  }

  async close(): Promise<void> {
    if (!this.exited) {
      const gone = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
      await this.send('Browser.close').catch(() => undefined);
      await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
      if (!this.exited) this.proc.kill('SIGKILL');
    }
    rmSync(this.profile, { recursive: true, force: true });
  }
}

export class Page {
  /** Console errors, uncaught exceptions and error log entries seen so far. */
  readonly problems: PageProblem[] = [];
  private readonly waiters = new Map<string, (() => void)[]>();

  constructor(
    private readonly browser: Chromium,
    readonly sessionId: string,
  ) {}

  event(m: Message): void {
    if (m.sessionId !== this.sessionId || m.method === undefined) return;
    const p = m.params ?? {};
    if (m.method === 'Runtime.consoleAPICalled' && (p['type'] === 'error' || p['type'] === 'assert')) {
      this.problems.push({ kind: 'console', text: ((p['args'] as { value?: unknown; description?: string }[]) ?? []).map((a) => String(a.value ?? a.description ?? '')).join(' ') });
    } else if (m.method === 'Runtime.exceptionThrown') {
      const d = p['exceptionDetails'] as { text?: string; exception?: { description?: string } };
      this.problems.push({ kind: 'exception', text: d.exception?.description ?? d.text ?? 'exception' });
    } else if (m.method === 'Log.entryAdded') {
      const e = p['entry'] as { level: string; text: string; url?: string };
      if (e.level === 'error') this.problems.push({ kind: 'log', text: `${e.text}${e.url ? ` (${e.url})` : ''}` });
    }
    for (const w of this.waiters.get(m.method) ?? []) w();
    this.waiters.delete(m.method);
  }

  waitFor(method: string): Promise<void> {
    return new Promise((resolve) => this.waiters.set(method, [...(this.waiters.get(method) ?? []), resolve]));
  }

  /** The value of a JavaScript expression in the page (JSON-serialisable results only). */
  async evaluate<T>(expression: string): Promise<T> {
    const r = (await this.browser.send('Runtime.evaluate', { expression, returnByValue: true }, this.sessionId)) as { result: { value: T }; exceptionDetails?: { text: string } };
    if (r.exceptionDetails !== undefined) throw new Error(`${expression}: ${r.exceptionDetails.text}`);
    return r.result.value;
  }

  /** A PNG of the viewport, or of the whole page with `fullPage`. */
  async screenshot(fullPage = false): Promise<Buffer> {
    const params: Record<string, unknown> = { format: 'png' };
    if (fullPage) {
      const { contentSize } = (await this.browser.send('Page.getLayoutMetrics', {}, this.sessionId)) as { contentSize: { width: number; height: number } };
      params['captureBeyondViewport'] = true;
      params['clip'] = { x: 0, y: 0, width: contentSize.width, height: contentSize.height, scale: 1 };
    }
    const { data } = (await this.browser.send('Page.captureScreenshot', params, this.sessionId)) as { data: string };
    return Buffer.from(data, 'base64');
  }
}
