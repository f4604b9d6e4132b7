/** The one auth scheme of farcall/1's handshake, as its hello names it. */
export const AUTH_SCHEME = "hmac-sha256";
