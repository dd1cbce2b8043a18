package slots

import "testing"

// Expected values are what Redis's CLUSTER KEYSLOT returns.
func TestOfMatchesRedis(t *testing.T) {
	cases := map[string]uint16{
		"foo": 12182, "bar": 5061, "123456789": 12739, "": 0,
		"{user1000}.following": 3443, "{user1000}.followers": 3443,
		"foo{}{bar}": 8363, "foo{{bar}}zap": 4015, "foo{bar}{zap}": 5061,
	}
	for k, want := range cases {
		if got := OfString(k); got != want {
			t.Errorf("%q: got %d want %d", k, got, want)
		}
	}
}
