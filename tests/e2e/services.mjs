// What each chat service accepts, checked the way the service checks it
// (from their API documentation), so the E2E suite can prove every preset's
// bodies would be accepted. Returns null when accepted, else the service's
// kind of error text.
const chars = (text) => [...(text ?? '')].length;

const CHECKS = {
  // Slack incoming webhooks: 400 invalid_payload without text or blocks.
  slack(body) {
    if (!body.text && !body.blocks) return 'invalid_payload';
    const sectionTooLong = (body.blocks ?? []).some((b) => b.type === 'section' && chars(b.text?.text) > 3000);
    return sectionTooLong || chars(body.text) > 40_000 ? 'invalid_blocks' : null;
  },
  // Discord: content ≤ 2000; ≤ 10 embeds; title ≤ 256; description ≤ 4096; all embeds ≤ 6000.
  discord(body) {
    const embeds = body.embeds ?? [];
    if (!body.content && embeds.length === 0) return 'Cannot send an empty message';
    if (chars(body.content) > 2000 || embeds.length > 10) return 'Invalid Form Body';
    const total = embeds.reduce((sum, e) => sum + chars(e.title) + chars(e.description) + chars(e.footer?.text), 0);
    const over = embeds.some((e) => chars(e.title) > 256 || chars(e.description) > 4096);
    return over || total > 6000 ? 'Invalid Form Body' : null;
  },
  // Teams Workflows: a message whose attachments are Adaptive Cards, ≤ 28 KB.
  teams(body, raw) {
    if (Buffer.byteLength(raw) > 28 * 1024) return 'payload too large';
    const cards = body.type === 'message' && Array.isArray(body.attachments) && body.attachments.length > 0
      && body.attachments.every((a) => a.contentType === 'application/vnd.microsoft.card.adaptive' && a.content?.type === 'AdaptiveCard');
    return cards ? null : 'not an Adaptive Card message';
  },
  // Telegram sendMessage: chat_id required; text 1–4096 characters.
  telegram(body) {
    if (!body.chat_id) return 'Bad Request: chat_id is empty';
    return chars(body.text) >= 1 && chars(body.text) <= 4096 ? null : 'Bad Request: message text is empty or too long';
  },
  // IFTTT Maker: only value1, value2 and value3 are passed on.
  ifttt(body) {
    return Object.keys(body).every((key) => ['value1', 'value2', 'value3'].includes(key)) ? null : 'unexpected fields';
  },
  // Zapier, Make and n8n take any JSON object.
  raw(body) {
    return body && typeof body === 'object' && !Array.isArray(body) ? null : 'not a JSON object';
  },
};

/** The service's verdict on a request body: null when accepted, else its error. */
export function serviceVerdict(service, rawBody) {
  let body;
  try {
    body = JSON.parse(rawBody);
  } catch {
    return 'invalid JSON';
  }
  return CHECKS[service](body, rawBody);
}
