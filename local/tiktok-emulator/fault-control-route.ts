import type { EmulatorContext } from './emulator-context.js';
import type { FaultInput } from './fault-queue.js';
import { jsonReply, type Reply } from './replies.js';
import { parseJson } from './request-body.js';

export const FAULT_CONTROL_PATH = '/__emulator/faults';

/** Lets faults be queued by hand: curl -X POST …/__emulator/faults -d '{"endpoint":"refresh","kind":"http_503"}' */
export function answerFaultControl(ctx: EmulatorContext, method: string, rawBody: string): Reply {
  if (method === 'DELETE') {
    ctx.faults.clear();
    return jsonReply(200, { faults: [] });
  }
  if (method === 'POST') {
    const input = parseJson(rawBody);
    if (typeof input !== 'object' || input === null)
      return jsonReply(400, { error: 'body must be a JSON object' });
    try {
      ctx.faults.push(input as FaultInput);
    } catch (error) {
      return jsonReply(400, { error: error instanceof Error ? error.message : String(error) });
    }
    return jsonReply(201, { faults: ctx.faults.list() });
  }
  return jsonReply(200, { faults: ctx.faults.list() });
}
