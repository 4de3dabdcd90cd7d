/** HMAC key shared by the test app and the crash-test child process. */
export const HMAC_KEY = 'test-hmac-key-0123456789abcdef0123456789';
