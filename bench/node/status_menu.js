'use strict';
// The status journey as ussd-menu-builder states, answering the Python service's screens word
// for word (English): the first dial's choice of language, the main menu, the reference, the
// answer. Every bench session dials from a new number, so it always meets the language choice.

const UssdMenu = require('ussd-menu-builder');

const NAV = '0.Back 00.Menu';
const GREETING = [
  'Huduma Kenya. Choose language / Chagua lugha',
  '1. English',
  '2. Kiswahili',
].join('\n');
const MAIN = [
  'Language saved.',
  'Huduma Kenya',
  '1. Check document status',
  '2. Book appointment',
  '3. My appointments',
  '4. Give feedback',
  '5. Verify an SMS',
  '6. Language / Lugha',
].join('\n');
// The usual reference prefix of each kind: bare digits may be any kind's.
const PREFIXES = ['HK-ID-', 'HK-BC-', 'HK-DC-', 'HK-PCC-', 'HK-DL-', 'HK-PP-'];
const READY = {
  ID_CARD: (r, c) => `Your ID card ${r} is ready for collection at ${c}. Bring your waiting `
    + 'card. FREE.',
  BIRTH_CERTIFICATE: (r, c) => `Your birth certificate ${r} is ready for collection at ${c}. `
    + 'Bring your ID. FREE.',
  DEATH_CERTIFICATE: (r, c) => `The death certificate ${r} is ready for collection at ${c}. `
    + 'Bring your ID. FREE.',
  DRIVING_LICENCE: (r, c) => `Your driving licence ${r} is ready for collection at ${c}. `
    + 'Bring your ID. FREE.',
  PASSPORT: (r, c) => `Your passport ${r} is ready for collection at ${c}. Bring your ID and `
    + 'old passport. FREE.',
};
const GOOD_CONDUCT = (r) => `Your good conduct certificate ${r} is ready. Download it on `
  + 'eCitizen. It is FREE.';
const ONLINE = (r) => `Application ${r}: ready on eCitizen. Log in there to download it. It is `
  + 'FREE.';
const OTHER = {
  SUBMITTED: (r) => `Application ${r}: received. We will SMS you when it is ready.`,
  PROCESSING: (r) => `Application ${r}: being processed. We will SMS you when it is ready.`,
  DISPATCHED: (r, c) => `Application ${r}: on its way to ${c}. We will SMS you when ready.`,
  NEEDS_ACTION: (r, c) => `Application ${r}: needs action from you. Visit ${c} or call 1919.`,
  REJECTED: (r, c) => `Application ${r}: not approved. Visit ${c} or call 1919.`,
  COLLECTED: (r) => `Application ${r}: already collected. If not by you, call 1919.`,
};
const REF_PROMPT = `Enter the reference number, e.g. HK-ID-123456 or 123456\n${NAV}`;
const NOT_FOUND = 'Not found. Check the reference.';
const READY_STATUSES = new Set(['READY_FOR_COLLECTION', 'AVAILABLE_ON_ECITIZEN']);
const START = UssdMenu.START_STATE;

/** A reference without case or separators: ' hk-id/48 2913' -> 'HKID482913'. */
function compact(raw) {
  return raw.slice(0, 60).toUpperCase().replace(/[^A-Z0-9]/g, '');
}

/** The compact references a typed one may stand for; bare digits may be any kind's. */
function keys(raw) {
  const key = compact(raw);
  if (!key) return [];
  return /^[0-9]+$/.test(key) ? PREFIXES.map((p) => compact(p) + key) : [key];
}

/** A reference as told to whoever asked: its last three characters only (***913). */
function shortRef(reference) {
  return `***${reference.slice(-3)}`;
}

/** The sentence the service says of a document in a status (same words as words/documents). */
function sentence(doc, reference) {
  const ref = shortRef(reference);
  const centre = doc.centre || 'Huduma';
  if (doc.kind === 'GOOD_CONDUCT' && READY_STATUSES.has(doc.status)) return GOOD_CONDUCT(ref);
  if (doc.status === 'AVAILABLE_ON_ECITIZEN') return ONLINE(ref);
  if (doc.status === 'READY_FOR_COLLECTION') return (READY[doc.kind] || READY.ID_CARD)(ref, centre);
  return (OTHER[doc.status] || OTHER.PROCESSING)(ref, centre);
}

/** Send the screen that says where an application is. */
function answer(menu, doc) {
  if (!doc || !doc.status) return menu.con(`${NOT_FOUND}\n${REF_PROMPT}`);
  const said = sentence(doc, doc.reference);
  if (READY_STATUSES.has(doc.status)) return menu.con(`${said}\n1. Get this by SMS\n${NAV}`);
  return menu.end(said);
}

/** Look the reference up (one Redis read per key, as the service makes one database read). */
function lookUp(menu, lookup) {
  const wanted = keys(menu.val);
  if (wanted.length === 0) return menu.con(`${NOT_FOUND}\n${REF_PROMPT}`);
  return Promise.all(wanted.map((key) => lookup(key)))
    .then((found) => answer(menu, found.find((doc) => doc && doc.status)))
    .catch((err) => menu.emit('error', err));
}

/** Return a menu for one hop: a UssdMenu keeps the hop's args and reply callback on itself. */
function buildMenu(sessions, lookup) {
  const menu = new UssdMenu();
  menu.sessionConfig(sessions);
  menu.startState({
    run: () => menu.con(GREETING),
    next: { 1: 'main', 2: 'elsewhere' },
  });
  menu.state('main', {
    run: () => menu.con(MAIN),
    next: { 1: 'status.ref', '*^[2-6]$': 'elsewhere' },
  });
  menu.state('elsewhere', { run: () => menu.end('Only the status journey in English is here.') });
  menu.state('status.ref', {
    run: () => menu.con(REF_PROMPT),
    next: { 0: 'main', '00': 'main', '*^[A-Za-z0-9 /._-]{1,60}$': 'status.result' },
  });
  menu.state('status.result', {
    run: () => lookUp(menu, lookup),
    next: { 1: 'status.sent', 0: 'status.ref', '00': START },
  });
  // The service queues an SMS here; the bench never presses 1, so this side sends nothing.
  menu.state('status.sent', { run: () => menu.end('We will SMS you the answer. Thank you.') });
  return menu;
}

module.exports = { buildMenu, compact, keys, shortRef };
