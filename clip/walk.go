package clip

import "reflect"

// RedactAll applies Redact to every string and byte slice reachable from
// v, a pointer, in place: a last pass over a whole report, so that a token
// that reached it by any road (an addr, a TLS probe's reproducer, a
// plugin's echo) is not printed. Unexported fields are left alone.
func RedactAll(v any, token string) {
	if token == "" {
		return
	}
	walk(reflect.ValueOf(v), token, 0)
}

// maxDepth bounds the walk; reports are shallow, and a cycle must not hang.
const maxDepth = 64

func walk(v reflect.Value, token string, depth int) {
	if depth > maxDepth || !v.IsValid() {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			walk(v.Elem(), token, depth+1)
		}
	case reflect.Interface:
		if v.IsNil() || !v.CanSet() {
			return
		}
		// The value inside an interface cannot be set in place: walk a
		// copy and put it back.
		c := reflect.New(v.Elem().Type()).Elem()
		c.Set(v.Elem())
		walk(c, token, depth+1)
		v.Set(c)
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() {
				walk(f, token, depth+1)
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			if v.CanSet() && Contains(string(v.Bytes()), token) {
				v.SetBytes([]byte(Redact(string(v.Bytes()), token)))
			}
			return
		}
		for i := range v.Len() {
			walk(v.Index(i), token, depth+1)
		}
	case reflect.Array:
		for i := range v.Len() {
			walk(v.Index(i), token, depth+1)
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		out := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			k := reflect.New(it.Key().Type()).Elem()
			k.Set(it.Key())
			walk(k, token, depth+1)
			e := reflect.New(it.Value().Type()).Elem()
			e.Set(it.Value())
			walk(e, token, depth+1)
			out.SetMapIndex(k, e)
		}
		if v.CanSet() {
			v.Set(out)
		}
	case reflect.String:
		if v.CanSet() {
			v.SetString(Redact(v.String(), token))
		}
	}
}
