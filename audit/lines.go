package audit

import (
	"bufio"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
)

// eachLine calls fn for every line of r without its '\n'; complete is false
// for a last line that has no '\n' (a record cut off mid-write). A line is
// only valid during the call.
func eachLine(r io.Reader, fn func(line []byte, complete bool)) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var long []byte
	for {
		chunk, err := br.ReadSlice('\n')
		switch {
		case err == bufio.ErrBufferFull:
			long = append(long, chunk...)
			continue
		case err == io.EOF:
			if line := append(long, chunk...); len(line) > 0 {
				fn(line, false)
			}
			return nil
		case err != nil:
			return err
		}
		line := chunk[:len(chunk)-1]
		if long != nil {
			line = append(long, line...)
			long = nil
		}
		fn(line, true)
	}
}

// LoadKey reads the path-hash key from name, creating it (32 random bytes,
// mode 0600) when it does not exist, so a document hashes to the same value
// in every session. Keep the key out of the audit directory you share.
func LoadKey(name string) ([]byte, error) {
	key, err := os.ReadFile(name)
	if err == nil {
		if len(key) < 16 {
			return nil, fmt.Errorf("audit: loading key %s: shorter than 16 bytes", name)
		}
		return key, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("audit: loading key: %w", err)
	}
	key = make([]byte, 32)
	rand.Read(key)
	f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if errors.Is(err, os.ErrExist) { // another process made it first
		return LoadKey(name)
	}
	if err != nil {
		return nil, fmt.Errorf("audit: creating key: %w", err)
	}
	_, err = f.Write(key)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("audit: creating key: %w", err)
	}
	return key, nil
}
