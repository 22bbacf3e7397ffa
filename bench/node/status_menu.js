'use strict';
// The status journey as ussd-menu-builder states, answering the Python service's screens word
// for word (English): main menu, document kind, reference, answer.

const UssdMenu = require('ussd-menu-builder');

const NAV = '0.Back 00.Menu';
const MAIN = [
  'Huduma Kenya',
  '1. Check document status',
  '2. Book appointment',
  '3. My appointments',
  '4. Give feedback',
  '5. Verify an SMS',
  '6. Language / Lugha',
].join('\n');
const KINDS = [
  {
    code: 'ID_CARD', label: 'ID card', prefix: 'HK-ID-',
    ready: (c) => `Your ID card is ready for collection at ${c}. Bring your waiting card. FREE.`,
  },
  {
    code: 'BIRTH_CERTIFICATE', label: 'Birth certificate', prefix: 'HK-BC-',
    ready: (c) => `Your birth certificate is ready for collection at ${c}. Bring your ID. FREE.`,
  },
  {
    code: 'DEATH_CERTIFICATE', label: 'Death certificate', prefix: 'HK-DC-',
    ready: (c) => `Your death certificate is ready for collection at ${c}. Bring your ID. FREE.`,
  },
  {
    code: 'GOOD_CONDUCT', label: 'Good conduct certificate', prefix: 'HK-PCC-',
    ready: () => 'Your good conduct certificate is ready. Download it on eCitizen. It is FREE.',
  },
  {
    code: 'DRIVING_LICENCE', label: 'Driving licence', prefix: 'HK-DL-',
    ready: (c) => `Your driving licence is ready for collection at ${c}. Bring your ID. FREE.`,
  },
  {
    code: 'PASSPORT', label: 'Passport', prefix: 'HK-PP-',
    ready: (c) => `Your passport is ready at ${c}. Bring your ID and old passport. FREE.`,
  },
];
const KIND_SCREEN = ['Which document?', ...KINDS.map((k, i) => `${i + 1}. ${k.label}`), NAV]
  .join('\n');
const REF_PROMPT = `Enter the reference number, e.g. HK-ID-123456 or 123456\n${NAV}`;
const NOT_FOUND = 'Not found. Check the reference.';
const OTHER = {
  SUBMITTED: (r) => `Application ${r}: received. We will SMS you when it is ready.`,
  PROCESSING: (r) => `Application ${r}: being processed. We will SMS you when it is ready.`,
  DISPATCHED: (r, c) => `Application ${r}: on its way to ${c}. We will SMS you when ready.`,
  NEEDS_ACTION: (r, c) => `Application ${r}: needs action from you. Visit ${c} or call 1919.`,
  REJECTED: (r, c) => `Application ${r}: not approved. Visit ${c} or call 1919.`,
  COLLECTED: (r) => `Application ${r}: already collected. If not by you, call 1919.`,
};
const READY = new Set(['READY_FOR_COLLECTION', 'AVAILABLE_ON_ECITIZEN']);
const START = UssdMenu.START_STATE;

/** Uppercase a typed reference; bare digits get the kind's usual prefix. */
function normalise(kind, raw) {
  const cleaned = raw.toUpperCase().replace(/[^A-Z0-9-]/g, '');
  return /^[0-9]+$/.test(cleaned) ? kind.prefix + cleaned : cleaned;
}

/** Hide all but the last three characters of a reference's number: HK-ID-***913. */
function mask(reference) {
  const cut = reference.lastIndexOf('-');
  const tail = reference.slice(cut + 1);
  const hidden = '*'.repeat(Math.max(tail.length - 3, 1)) + tail.slice(-3);
  return cut > 0 ? `${reference.slice(0, cut)}-${hidden}` : hidden;
}

/** Send the screen that says where an application is. */
function answer(menu, kind, reference, doc) {
  if (!doc.status) return menu.con(`${NOT_FOUND}\n${REF_PROMPT}`);
  const centre = doc.centre || 'Huduma';
  if (READY.has(doc.status)) return menu.con(`${kind.ready(centre)}\n1. Get this by SMS\n${NAV}`);
  const say = OTHER[doc.status] || OTHER.PROCESSING;
  return menu.end(say(mask(reference), centre));
}

/** Remember the chosen kind in the session, then ask for the reference. */
function askReference(menu) {
  const kind = KINDS[Number(menu.val) - 1];
  menu.session.set('kind', kind.code)
    .then(() => menu.con(REF_PROMPT))
    .catch(() => {}); // the menu's 'error' event has the failure already
}

/** Look the reference up (one Redis read, as the service makes one database read) and answer. */
function lookUp(menu, lookup) {
  let kind;
  let reference;
  menu.session.get('kind')
    .then((code) => {
      kind = KINDS.find((k) => k.code === code) || KINDS[0];
      reference = normalise(kind, menu.val.slice(0, 40));
      return lookup(kind.code, reference);
    })
    .then((doc) => answer(menu, kind, reference, doc))
    .catch((err) => menu.emit('error', err));
}

/** Return a menu for one hop: a UssdMenu keeps the hop's args and reply callback on itself. */
function buildMenu(sessions, lookup) {
  const menu = new UssdMenu();
  menu.sessionConfig(sessions);
  menu.startState({
    run: () => menu.con(MAIN),
    next: { 1: 'status.kind', '*^[2-6]$': 'elsewhere' },
  });
  menu.state('elsewhere', { run: () => menu.end('Only document status is served here.') });
  menu.state('status.kind', {
    run: () => menu.con(KIND_SCREEN),
    next: { 0: START, '00': START, '*^[1-6]$': 'status.ref' },
  });
  menu.state('status.ref', {
    run: () => askReference(menu),
    next: { 0: 'status.kind', '00': START, '*^[A-Za-z0-9-]{1,40}$': 'status.result' },
  });
  menu.state('status.result', {
    run: () => lookUp(menu, lookup),
    next: { 1: 'status.sent', 0: 'status.ref', '00': START },
  });
  // The service queues an SMS here; the bench never presses 1, so this side sends nothing.
  menu.state('status.sent', { run: () => menu.end('We will SMS you the answer. Thank you.') });
  return menu;
}

module.exports = { buildMenu, mask, normalise };
