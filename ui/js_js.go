//go:build js && wasm

package main

import (
	"errors"
	"syscall/js"
	"time"
)

// jsError is a rejected promise's reason: a JS Error's message, and the
// code of a MobilenetError (mobilenet.js) or the name of a DOMException
// (NotAllowedError from getUserMedia).
type jsError struct {
	Code    string // MobilenetError.code, or "" for other errors
	Name    string // Error.name ("NotAllowedError", "TypeError", ...)
	Message string
}

func (e *jsError) Error() string { return e.Message }

// errorOf turns a JS rejection reason into a *jsError.
func errorOf(v js.Value) *jsError {
	e := &jsError{}
	if v.Type() != js.TypeObject {
		e.Message = v.String()
		if v.IsUndefined() {
			e.Message = "unknown error"
		}
		return e
	}
	if s := v.Get("message"); s.Type() == js.TypeString {
		e.Message = s.String()
	} else {
		e.Message = js.Global().Get("String").Invoke(v).String()
	}
	if s := v.Get("name"); s.Type() == js.TypeString {
		e.Name = s.String()
	}
	if s := v.Get("code"); s.Type() == js.TypeString {
		e.Code = s.String()
	}
	return e
}

// codeOf is the MobilenetError code of err, or "".
func codeOf(err error) string {
	var je *jsError
	if errors.As(err, &je) {
		return je.Code
	}
	return ""
}

// await blocks the calling goroutine until the promise settles. It must
// not run on the goroutine of a JS event handler (handlers start a
// goroutine first): the event loop has to keep running meanwhile.
func await(p js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	arg := func(args []js.Value) js.Value {
		if len(args) == 0 {
			return js.Undefined()
		}
		return args[0]
	}
	ok := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- result{v: arg(args)}
		return nil
	})
	fail := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- result{err: errorOf(arg(args))}
		return nil
	})
	defer ok.Release()
	defer fail.Release()
	js.Global().Get("Promise").Call("resolve", p).Call("then", ok, fail)
	r := <-ch
	return r.v, r.err
}

// call calls a method that returns a promise and awaits it; a method that
// throws synchronously gives an error too.
func call(obj js.Value, method string, args ...any) (v js.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			if je, ok := r.(js.Error); ok {
				err = errorOf(je.Value)
				return
			}
			panic(r)
		}
	}()
	return await(obj.Call(method, args...))
}

// nextFrame waits for the browser's next animation frame (at most 200 ms:
// hidden tabs get none).
func nextFrame() {
	ch := make(chan struct{}, 1)
	f := js.FuncOf(func(js.Value, []js.Value) any {
		ch <- struct{}{}
		return nil
	})
	id := js.Global().Call("requestAnimationFrame", f)
	select {
	case <-ch:
	case <-time.After(200 * time.Millisecond):
		js.Global().Call("cancelAnimationFrame", id)
	}
	f.Release()
}

// now is performance.now(): milliseconds, monotonic.
func now() float64 { return js.Global().Get("performance").Call("now").Float() }

// str reads a string property ("" when absent).
func str(v js.Value, key string) string {
	p := v.Get(key)
	if p.Type() != js.TypeString {
		return ""
	}
	return p.String()
}

// num reads a number property (NaN when absent).
func num(v js.Value, key string) float64 {
	p := v.Get(key)
	if p.Type() != js.TypeNumber {
		return js.Global().Get("NaN").Float()
	}
	return p.Float()
}

// boolean reads a boolean property (false when absent).
func boolean(v js.Value, key string) bool {
	p := v.Get(key)
	return p.Type() == js.TypeBoolean && p.Bool()
}
