import type { Page } from 'playwright-core';

/**
 * Real video files for the browser tests, made by Chromium itself (canvas → MediaRecorder → WebM/VP8): no binary
 * fixtures in git, no ffmpeg on the machine. MediaRecorder leaves the Duration out of the WebM header (it streams),
 * so `withDuration` writes one in: that is how a test gets a file the browser reads as, say, 11 minutes long without
 * recording 11 minutes.
 */
/**
 * Runs in the page. Kept as text: the TypeScript transform adds helpers (`__name`) to functions it compiles, which
 * do not exist in the page.
 */
const RECORD_IN_PAGE = `async ({ seconds, label }) => {
  const canvas = document.createElement('canvas');
  canvas.width = 360;
  canvas.height = 640;
  const context = canvas.getContext('2d');
  const stream = canvas.captureStream(30);
  const recorder = new MediaRecorder(stream, { mimeType: 'video/webm;codecs=vp8' });
  const chunks = [];
  recorder.ondataavailable = (event) => chunks.push(event.data);
  const stopped = new Promise((resolve) => { recorder.onstop = resolve; });
  const started = performance.now();
  let frame = 0;
  const draw = () => {
    const t = (performance.now() - started) / 1000;
    const gradient = context.createLinearGradient(0, 0, 360, 640);
    gradient.addColorStop(0, 'hsl(' + ((340 + t * 60) % 360) + ' 90% 55%)');
    gradient.addColorStop(1, 'hsl(' + ((190 + t * 60) % 360) + ' 90% 45%)');
    context.fillStyle = gradient;
    context.fillRect(0, 0, 360, 640);
    context.fillStyle = '#fff';
    context.textAlign = 'center';
    context.font = 'bold 40px sans-serif';
    context.fillText(label, 180, 300);
    context.font = '28px sans-serif';
    context.fillText('frame ' + frame++, 180, 350);
  };
  draw();
  recorder.start(250);
  await new Promise((resolve) => {
    const tick = () => {
      draw();
      if (performance.now() - started >= seconds * 1000) resolve();
      else requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  recorder.stop();
  await stopped;
  const bytes = new Uint8Array(await new Blob(chunks, { type: 'video/webm' }).arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}`;

export async function recordWebm(page: Page, options: { seconds: number; label: string }): Promise<Buffer> {
  const base64 = await page.evaluate<string>(`(${RECORD_IN_PAGE})(${JSON.stringify(options)})`);
  return Buffer.from(base64, 'base64');
}

const SEGMENT_ID = 0x18538067;
const INFO_ID = 0x1549a966;
const DURATION_ID = 0x4489;
const TIMECODE_SCALE_ID = 0x2ad7b1;

/** An EBML element header at `offset`: its id, the size of its data and where the data starts. */
function readElementHeader(bytes: Buffer, offset: number): { id: number; size: number; dataStart: number } {
  const idLength = Math.clz32(bytes[offset] as number) - 23;
  let id = 0;
  for (let i = 0; i < idLength; i++) id = id * 256 + (bytes[offset + i] as number);
  const sizeOffset = offset + idLength;
  const first = bytes[sizeOffset] as number;
  const sizeLength = Math.clz32(first) - 23;
  let size = first & (0xff >> sizeLength);
  let unknown = size === 0xff >> sizeLength;
  for (let i = 1; i < sizeLength; i++) {
    const byte = bytes[sizeOffset + i] as number;
    size = size * 256 + byte;
    unknown &&= byte === 0xff;
  }
  return { id, size: unknown ? Number.POSITIVE_INFINITY : size, dataStart: sizeOffset + sizeLength };
}

/** An 8-byte EBML size (vint), enough for any size here. */
function sizeVint(size: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(BigInt(size));
  out[0] = 0x01;
  return out;
}

/** Writes `seconds` as the Duration of the WebM's Segment Info (replacing one that is there). */
export function withDuration(webm: Buffer, seconds: number): Buffer {
  let offset = readElementHeader(webm, 0).dataStart + readElementHeader(webm, 0).size; // skip the EBML header
  const segment = readElementHeader(webm, offset);
  if (segment.id !== SEGMENT_ID) throw new Error('not a WebM: no Segment after the EBML header');
  offset = segment.dataStart;
  for (;;) {
    const child = readElementHeader(webm, offset);
    if (child.id !== INFO_ID) {
      offset = child.dataStart + child.size;
      if (!Number.isFinite(offset) || offset >= webm.length) throw new Error('no Segment Info in the WebM');
      continue;
    }
    let timecodeScale = 1_000_000;
    const kept: Buffer[] = [];
    for (let at = child.dataStart; at < child.dataStart + child.size; ) {
      const field = readElementHeader(webm, at);
      const end = field.dataStart + field.size;
      if (field.id === TIMECODE_SCALE_ID) timecodeScale = webm.readUIntBE(field.dataStart, field.size);
      if (field.id !== DURATION_ID) kept.push(webm.subarray(at, end));
      at = end;
    }
    const duration = Buffer.alloc(2 + 1 + 8);
    duration.writeUInt16BE(DURATION_ID, 0);
    duration[2] = 0x88; // size 8
    duration.writeDoubleBE((seconds * 1e9) / timecodeScale, 3);
    const info = Buffer.concat([...kept, duration]);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(INFO_ID);
    return Buffer.concat([
      webm.subarray(0, offset),
      header,
      sizeVint(info.length),
      info,
      webm.subarray(child.dataStart + child.size),
    ]);
  }
}
