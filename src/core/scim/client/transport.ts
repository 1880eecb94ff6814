// The client's transport: every public call runs inside an operation of the trace (its own, or the caller's),
// sends its requests through the one pipeline, and turns an answer that is not what was asked for into a
// diagnosed, masked ScimxError.
import { asGatewayError, asScimError, diagnoseExchange, looksLikeHtml, type Diagnosis } from '../../diagnosis';
import { HttpStatusError, ScimxError, toScimxError } from '../../errors';
import type { Pipeline } from '../../http/pipeline';
import type { HttpResponse, RequestSpec } from '../../http/types';
import type { Profile } from '../../profile';
import type { Exchange, Operation, Trace } from '../../trace';
import type { Call, CallContext } from '../port';

/** What the client hears from its transport: every answer (to check it against what it knows of the provider),
 * and the end of every operation it started (to keep what it learnt). */
export interface TransportHooks {
  answered?(spec: RequestSpec, res: HttpResponse): void;
  operationEnded?(): void;
}

export class ScimTransport {
  constructor(readonly profile: Profile, readonly trace: Trace, readonly pipeline: Pipeline, private readonly hooks: TransportHooks = {}) {}

  /** Runs `body` in the caller's operation, or in a new one that ends with the outcome. */
  async run<T>(title: string, ctx: CallContext | undefined, body: (call: Call) => Promise<T>, summarize?: (result: T) => string): Promise<T> {
    const own = !ctx?.operation;
    const operation = ctx?.operation ?? this.trace.startOperation(ctx?.title ?? title, this.profile.name);
    const call: Call = { operation, signal: ctx?.signal, meter: { requests: 0, bytesSent: 0, bytesReceived: 0 } };
    try {
      const result = await body(call);
      if (own) {
        this.trace.endOperation(operation, 'ok', { summary: summarize?.(result) });
        this.hooks.operationEnded?.();
      }
      return result;
    } catch (e) {
      const err = toScimxError(e);
      // Every message leaves masked with every secret the pipeline knows (those learnt at run time too): it is
      // shown in notifications, logs and the CLI, and may quote a server's answer.
      const masked = this.pipeline.mask(err.message);
      if (masked !== err.message) err.message = masked;
      if (own) {
        const state = err.code === 'cancelled' ? 'cancelled' : 'failed';
        this.trace.endOperation(operation, state, { summary: err.message, diagnosis: err.diagnosis });
        this.hooks.operationEnded?.();
      }
      throw err;
    }
  }

  /** Sends a request and returns the answer when it is 2xx; otherwise throws a diagnosed error. */
  async request(call: Call, spec: RequestSpec, accept: (status: number) => boolean = (s) => s >= 200 && s < 300): Promise<HttpResponse> {
    if (call.signal?.aborted) throw new ScimxError('cancelled', 'Cancelled.');
    let res: HttpResponse;
    try {
      res = await this.pipeline.send(call.operation, { ...spec, signal: spec.signal ?? call.signal });
    } catch (e) {
      const err = toScimxError(e);
      if (!err.diagnosis) {
        const ex = err.exchangeId ? this.trace.findExchange(err.exchangeId) : call.operation.exchanges.at(-1);
        if (ex) err.diagnosis = this.diagnose(ex, call.operation);
      }
      throw err;
    }
    call.meter.requests += 1;
    call.meter.bytesSent += res.bytesSent;
    call.meter.bytesReceived += res.bytesReceived;
    this.hooks.answered?.(spec, res);
    if (accept(res.status)) return res;
    throw this.errorFor(res, call.operation);
  }

  /** Like request(), and the body must be a JSON object. */
  async requestJson(call: Call, spec: RequestSpec): Promise<{ res: HttpResponse; body: Record<string, unknown> }> {
    const res = await this.request(call, spec);
    return { res, body: this.jsonObject(res, spec) };
  }

  jsonObject(res: HttpResponse, spec: Pick<RequestSpec, 'method' | 'url'>): Record<string, unknown> {
    if (res.json && typeof res.json === 'object' && !Array.isArray(res.json)) return res.json as Record<string, unknown>;
    const where = `${spec.method} ${spec.url}`;
    if (looksLikeHtml(res.text, res.headers['content-type'])) {
      throw new ScimxError('response', `${where} answered ${res.status} with an HTML page instead of SCIM JSON`, { exchangeId: res.exchange.id, hint: 'Check the base URL and the gateway.' });
    }
    if (!res.text) throw new ScimxError('response', `${where} answered ${res.status} with an empty body where SCIM JSON was expected`, { exchangeId: res.exchange.id });
    // masked before it is cut: a secret cut in half cannot be found any more
    const start = this.pipeline.mask(res.text.slice(0, 4096)).slice(0, 40).replace(/\s+/g, ' ');
    throw new ScimxError('response', `${where} answered ${res.status} with a body that is not a JSON object (${res.text.length} bytes, starts "${start}")`, { exchangeId: res.exchange.id });
  }

  diagnose(ex: Exchange, operation: Operation): Diagnosis | undefined {
    const history = this.trace
      .operations()
      .filter((op) => op.profile === this.profile.name && op.id !== operation.id)
      .slice(-20)
      .flatMap((op) => op.exchanges);
    const d = diagnoseExchange(ex, { operation, history, keyHeader: this.profile.gateway.header, keyQuery: this.profile.gateway.query, baseUrl: this.profile.baseUrl });
    if (d) {
      ex.diagnosis = d;
      this.trace.touchExchange(ex);
    }
    return d;
  }

  errorFor(res: HttpResponse, operation: Operation): HttpStatusError {
    const diagnosis = this.diagnose(res.exchange, operation);
    const scim = asScimError(res.json);
    const gw = asGatewayError(res.json);
    const code = gw ? 'gateway' : scim ? 'scim' : 'http';
    const message = diagnosis?.summary ?? `${res.exchange.request.method} ${res.url} answered ${res.status}`;
    return new HttpStatusError(code, res.status, message, {
      exchangeId: res.exchange.id,
      diagnosis,
      hint: diagnosis?.fix,
      scimType: scim?.scimType,
      detail: scim?.detail ?? gw?.message,
    });
  }
}
