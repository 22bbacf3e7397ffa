'use strict';
// Redis keys of the ussd-menu-builder side: one prefix, so the bench can remove exactly these.

const PREFIX = 'umb:';

const sessionKey = (sessionId) => `${PREFIX}session:${sessionId}`;
const docKey = (kind, reference) => `${PREFIX}doc:${kind}:${reference}`;

module.exports = { PREFIX, sessionKey, docKey };
