/**
 * The composer for an app TikTok has not audited: the same browser tests as publish-composer.test.ts, against a
 * local stack whose emulator treats the app as unaudited. A file of its own because the local stack's handler
 * modules read their configuration once per process, and vitest gives each test file its own process.
 */
process.env.COMPOSER_SUITE = 'unaudited';
await import('./publish-composer.test.js');
