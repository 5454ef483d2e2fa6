package redact

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/veil-dev/veil/internal/lsptest"
)

// Test secrets are generated here: right prefix, alphabet, length and
// checksum, random content. None is a real credential.

func testRand(t testing.TB) *rand.Rand {
	t.Helper()
	return rand.New(rand.NewPCG(uint64(len(t.Name())), 7))
}

func randString(r *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

// genGitHubToken returns prefix + 30 random base62 + 6-char CRC32.
func genGitHubToken(t testing.TB, prefix string) string {
	return genGitHubTokenRand(testRand(t), prefix)
}

func genGitHubTokenRand(r *rand.Rand, prefix string) string {
	return lsptest.NewSecrets(r.Uint64()).GitHubToken(prefix)
}

// genCard returns a Luhn-valid card number with the prefix and length.
func genCard(t testing.TB, prefix string, n int) string {
	r := testRand(t)
	for {
		s := prefix + randString(r, "0123456789", n-len(prefix)-1)
		for d := '0'; d <= '9'; d++ {
			c := s + string(d)
			if luhnValid([]byte(c)) && !isDocExample([]byte(c)) {
				return c
			}
		}
	}
}

// genIBAN returns country + check digits + bban with valid check digits.
func genIBAN(t testing.TB, country, bban string) string {
	for cd := 2; cd < 99; cd++ {
		s := fmt.Sprintf("%s%02d%s", country, cd, bban)
		if ibanValid([]byte(s)) {
			return s
		}
	}
	t.Fatalf("no check digits for %s", country)
	return ""
}

func genJWT() string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." +
		enc.EncodeToString([]byte(`{"sub":"u-`+strconv.Itoa(42)+`"}`)) + "." +
		enc.EncodeToString([]byte("not-a-real-signature-0123456789"))
}
