'use strict';
// Redis keys of the ussd-menu-builder side: one prefix, so the bench can remove exactly these.

const PREFIX = 'umb:';

const sessionKey = (sessionId) => `${PREFIX}session:${sessionId}`;
// A document by its compact reference (no case or separators), as the service finds it.
const docKey = (key) => `${PREFIX}doc:${key}`;

module.exports = { PREFIX, sessionKey, docKey };
