// Acting on replies in real Chromium: a receiver's `autohook` object types
// into a loopback chat page or changes the campaign.
import assert from 'node:assert/strict';
import { campaignInChat, receiverAndSettingsPage, test } from './fixtures.mjs';
import { caller, everyEvent, eventually } from './api.mjs';
import { chatMessages } from './chat.mjs';

/**
 * Chromium with AutoHook, a webhook that acts on replies, the chat page open
 * and chosen as the campaign's target; the receiver answers the first
 * request (the campaign's start) with `first`, every other one with 200.
 */
async function setUp(t, first) {
  const { receiver, chromium, page } = await receiverAndSettingsPage(t);
  const call = caller(page);
  receiver.script('/replies', [{ status: 200, body: first }, 200]);
  await call('webhooks.create', { webhook: { url: receiver.url('/replies'), events: await everyEvent(call), actOnReplies: true } });
  const { chat } = await campaignInChat(t, { chromium, page }, { phrases: ['ping'], intervalMinSeconds: 1, intervalMaxSeconds: 1, dailyLimit: 0 });
  const named = (name) => receiver.deliveries.map((d) => d.json).filter((e) => e?.event === name);
  return { receiver, call, chat, named };
}

test('a reply {"autohook": {"reply": "pong"}} is typed into the chat once, raising message_sent from the reply', async (t) => {
  const { receiver, call, chat, named } = await setUp(t, { autohook: { reply: 'pong' } });
  await call('campaign.start');
  await eventually(async () => (await chatMessages(chat)).includes('pong'), { what: 'the reply typed' });
  // A few more intervals: phrases go on, the reply is not typed again.
  await eventually(async () => (await chatMessages(chat)).filter((text) => text === 'ping').length >= 3, { what: 'phrases after the reply' });
  await call('campaign.stop');
  const sent = await chatMessages(chat);
  assert.equal(sent.filter((text) => text === 'pong').length, 1, `typed: ${sent}`);
  await receiver.waitFor(() => named('message_sent').some((e) => e.data.source === 'reply'));
  assert.deepEqual(named('message_sent').filter((e) => e.data.source === 'reply').map((e) => e.data.message), ['pong']);
  const [started] = await call('deliveries.list', { limit: 100 }).then((all) => all.filter((d) => d.event.kind === 'campaign_started'));
  assert.equal(started.replyAction, "reply queued as the campaign's next message, then typed in the chat");
});

test('a reply {"autohook": {"campaign": "pause"}} pauses the campaign', async (t) => {
  const { receiver, call, named } = await setUp(t, { autohook: { campaign: 'pause' } });
  await call('campaign.start');
  await receiver.waitFor(() => named('campaign_paused').length === 1);
  assert.equal((await call('campaign.get')).status, 'paused');
  const [started] = await call('deliveries.list', { limit: 100 }).then((all) => all.filter((d) => d.event.kind === 'campaign_started'));
  assert.equal(started.replyAction, 'campaign paused');
});

test('a receiver that answers message_sent with pause and campaign_paused with resume cannot drive the campaign in a loop', async (t) => {
  const { receiver, chromium, page } = await receiverAndSettingsPage(t);
  const call = caller(page);
  const autohook = (campaign) => ({ status: 200, body: { autohook: { campaign } } });
  receiver.script('/on-sent', [autohook('pause')]);
  receiver.script('/on-paused', [autohook('resume')]);
  for (const [path, event] of [['/on-sent', 'message_sent'], ['/on-paused', 'campaign_paused']]) {
    await call('webhooks.create', { webhook: { url: receiver.url(path), events: [event], actOnReplies: true } });
  }
  const { chat } = await campaignInChat(t, { chromium, page }, { phrases: ['ping'], intervalMinSeconds: 600, intervalMaxSeconds: 600, dailyLimit: 0 });
  await call('campaign.start');
  await receiver.waitFor((all) => all.some((d) => d.path === '/on-paused'));
  const paused = await eventually(async () => {
    const [delivery] = await call('deliveries.list', { limit: 100 }).then((all) => all.filter((d) => d.event.kind === 'campaign_paused'));
    return delivery?.replyAction && delivery;
  }, { what: 'the reply to campaign_paused logged' });
  assert.equal(paused.replyAction, 'not acted on: the event was caused by an acted-on reply');
  // Before, the resume sent at once and the loop typed 34 messages in 12 s.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  assert.deepEqual(await chatMessages(chat), ['ping']);
  assert.equal((await call('campaign.get')).status, 'paused');
  assert.equal(receiver.deliveries.filter((d) => d.path === '/on-sent').length, 1);
});
