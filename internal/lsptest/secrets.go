package lsptest

import (
	"encoding/base64"
	"encoding/hex"
	"hash/crc32"
	"math/rand/v2"
)

// Secrets generates fake secrets that pass veil's detectors: right prefix,
// alphabet, length and checksum, random content. A fixed seed keeps a test
// repeatable. It is not safe for concurrent use.
type Secrets struct{ r *rand.Rand }

// NewSecrets returns a generator seeded with seed.
func NewSecrets(seed uint64) *Secrets { return &Secrets{rand.New(rand.NewPCG(seed, seed^0x5eed))} }

// Base62 is the alphabet of GitHub and npm tokens.
const Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// Pick returns n characters drawn from alphabet.
func (s *Secrets) Pick(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[s.r.IntN(len(alphabet))]
	}
	return string(b)
}

// AWSAccessKeyID is AKIA + 16 of [A-Z2-7].
func (s *Secrets) AWSAccessKeyID() string {
	return "AKIA" + s.Pick("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
}

// GitHubPAT is a classic personal access token: ghp_ + 30 base62 + their
// CRC-32 in 6 base62 digits.
func (s *Secrets) GitHubPAT() string { return s.GitHubToken("ghp_") }

// GitHubToken is any GitHub token kind (ghp_, gho_, ghu_, ghs_, ghr_) with
// a valid checksum.
func (s *Secrets) GitHubToken(prefix string) string {
	body := s.Pick(Base62, 30)
	return prefix + body + Base62CRC32(body)
}

// NPMToken is npm_ + 30 base62 + their CRC-32 in 6 base62 digits.
func (s *Secrets) NPMToken() string {
	body := s.Pick(Base62, 30)
	return "npm_" + body + Base62CRC32(body)
}

// Card is a Luhn-valid card number of n digits starting with prefix.
func (s *Secrets) Card(prefix string, n int) string {
	digits := prefix + s.Pick("0123456789", n-len(prefix)-1)
	sum := 0
	for i := len(digits) - 1; i >= 0; i-- { // the check digit will sit right of digits
		d := int(digits[i] - '0')
		if (len(digits)-i)%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return digits + string(rune('0'+(10-sum%10)%10))
}

// OpenSSHPrivateKey is a private key block of random bytes.
func (s *Secrets) OpenSSHPrivateKey() string {
	raw := make([]byte, 96)
	for i := range raw {
		raw[i] = byte(s.r.UintN(256))
	}
	b := base64.StdEncoding.EncodeToString(raw)
	return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + b[:64] + "\n" + b[64:] + "\n-----END OPENSSH PRIVATE KEY-----\n"
}

// Base62CRC32 is the CRC-32 (IEEE) of body in 6 base62 digits, the
// checksum GitHub and npm tokens end with.
func Base62CRC32(body string) string {
	c := crc32.ChecksumIEEE([]byte(body))
	var sum [6]byte
	for i := 5; i >= 0; i-- {
		sum[i] = Base62[c%62]
		c /= 62
	}
	return string(sum[:])
}

// Forms are the shapes a leaked value could take: itself, base64, hex and
// its first 8 characters. Leak checks search sinks for every form.
func Forms(v string) []string {
	out := []string{v, base64.StdEncoding.EncodeToString([]byte(v)), hex.EncodeToString([]byte(v))}
	if len(v) > 8 {
		out = append(out, v[:8])
	}
	return out
}
