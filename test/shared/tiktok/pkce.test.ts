import { describe, expect, it } from 'vitest';
import { codeChallengeS256, createCodeVerifier } from '../../../shared/tiktok/pkce.js';

// RFC 7636 Appendix B.
const RFC_VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';

describe('PKCE', () => {
  it('makes verifiers of 43–128 unreserved characters, new each time', () => {
    const verifiers = new Set(Array.from({ length: 50 }, createCodeVerifier));
    expect(verifiers.size).toBe(50);
    for (const verifier of verifiers) expect(verifier).toMatch(/^[A-Za-z0-9\-._~]{43,128}$/);
  });

  it('computes the RFC 7636 base64url challenge for the known vector', () => {
    expect(codeChallengeS256(RFC_VERIFIER, 'base64url')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it("computes TikTok's lower-case hex challenge for the same vector", () => {
    expect(codeChallengeS256(RFC_VERIFIER, 'hex')).toBe(
      '13d31e961a1ad8ec2f16b10c4c982e0876a878ad6df144566ee1894acb70f9c3',
    );
  });
});
