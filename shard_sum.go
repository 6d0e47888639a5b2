package synack

import "reflect"

// sumFields adds each numeric field of *src, and each element of its
// arrays of numbers, to *dst's: the shards' counters and censuses, which
// are flat structs of counts, summed without a list of their fields to
// keep in step. A field of any other kind is left alone (a test checks
// there is none).
func sumFields[T any](dst, src *T) {
	d, s := reflect.ValueOf(dst).Elem(), reflect.ValueOf(src).Elem()
	for i := 0; i < d.NumField(); i++ {
		addValue(d.Field(i), s.Field(i))
	}
}

func addValue(d, s reflect.Value) {
	switch d.Kind() {
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		d.SetUint(d.Uint() + s.Uint())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		d.SetInt(d.Int() + s.Int())
	case reflect.Array:
		for j := 0; j < d.Len(); j++ {
			addValue(d.Index(j), s.Index(j))
		}
	}
}
