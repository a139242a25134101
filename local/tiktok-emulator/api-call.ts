import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiEndpoint } from './api-endpoints.js';
import type { EmulatorContext } from './emulator-context.js';
import type { FaultHit } from './fault-queue.js';
import { faultReply } from './fault-replies.js';
import { oauthError, type Reply, sendReply } from './replies.js';

export type ApiCall = { endpoint: ApiEndpoint; logId: string; grantType?: string };

/**
 * Runs one TikTok API call through the emulator's latency and fault queue, answers it and logs it.
 * `execute` is the endpoint's real behaviour (its side effects happen only if it runs).
 */
export async function answerApiCall(
  ctx: EmulatorContext,
  res: ServerResponse,
  call: ApiCall,
  execute: () => Reply | Promise<Reply>,
  /** Runs before a fault's answer (the chunk upload drains its body first). */
  beforeFault?: () => Promise<void>,
): Promise<void> {
  await pause(ctx.settings.latencyMs, ctx.closing);
  const fault = ctx.faults.take(call.endpoint);
  if (fault !== undefined && fault.kind !== 'hang') await pause(fault.delayMs, ctx.closing);

  if (fault?.kind === 'hang') {
    logCall(ctx, call, 0, undefined, fault);
    await untilClosed(res, ctx.closing);
    res.destroy();
    return;
  }
  if (fault?.kind === 'answer_lost') {
    const done = await execute();
    logCall(ctx, call, 0, done, fault);
    res.destroy();
    return;
  }
  if (fault?.kind === 'close') {
    logCall(ctx, call, 200, undefined, fault);
    cutMidBody(res, call.logId);
    return;
  }
  if (fault !== undefined && fault.kind !== 'slow' && beforeFault) await beforeFault();
  const reply = await replyFor(fault, call, execute);
  sendReply(res, reply, call.logId);
  logCall(ctx, call, reply.status, reply, fault);
}

async function replyFor(
  fault: FaultHit | undefined,
  call: ApiCall,
  execute: () => Reply | Promise<Reply>,
): Promise<Reply> {
  if (fault === undefined || fault.kind === 'slow') return execute();
  if (fault.kind === 'rotate_then_fail') {
    // TikTok committed the rotation but the answer was lost: the old refresh token is already dead.
    const committed = await execute();
    const failure = oauthError(500, 'server_error', 'Internal server error.', call.logId);
    return committed.openId === undefined ? failure : { ...failure, openId: committed.openId };
  }
  return faultReply(fault, call.endpoint, call.logId);
}

function logCall(ctx: EmulatorContext, call: ApiCall, status: number, reply?: Reply, fault?: FaultHit): void {
  ctx.calls.record({
    endpoint: call.endpoint,
    at: Date.now(),
    status,
    logId: call.logId,
    ...(reply?.errorCode !== undefined && { errorCode: reply.errorCode }),
    ...(reply?.openId !== undefined && { openId: reply.openId }),
    ...(call.grantType !== undefined && { grantType: call.grantType }),
    ...(fault !== undefined && { fault: fault.kind }),
  });
}

async function pause(ms: number, closing: AbortSignal): Promise<void> {
  if (ms > 0) await sleep(ms, undefined, { signal: closing });
}

function untilClosed(res: ServerResponse, closing: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (closing.aborted || res.destroyed) return resolve();
    closing.addEventListener('abort', () => resolve(), { once: true });
    res.once('close', () => resolve());
  });
}

/** Headers and the start of a JSON body, then the connection drops: the client's body read must fail. */
function cutMidBody(res: ServerResponse, logId: string): void {
  const partial = '{"data":{"';
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': 1024,
    'x-tt-logid': logId,
  });
  res.write(partial, () => res.destroy());
}
