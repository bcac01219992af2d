package rpc

import (
	"context"
	"errors"
	"net"
	"net/http"
)

// Server is one HTTP listener: HTTP/1.1 and cleartext HTTP/2 (h2c with prior
// knowledge), so gRPC, gRPC-Web and Connect/JSON clients all reach it.
type Server struct {
	srv    *http.Server
	ln     net.Listener
	done   chan error
	cancel context.CancelFunc // ends the contexts of calls in flight
}

// Serve starts serving h on ln with the timeouts of DefaultLimits.
func Serve(ln net.Listener, h http.Handler) *Server {
	return ServeLimits(ln, h, DefaultLimits())
}

// ServeLimits starts serving h on ln with l's HTTP timeouts.
func ServeLimits(ln net.Listener, h http.Handler, l Limits) *Server {
	var p http.Protocols
	p.SetHTTP1(true)
	p.SetUnencryptedHTTP2(true)
	base, cancel := context.WithCancel(context.Background())
	s := &Server{
		srv: &http.Server{
			Handler:           h,
			Protocols:         &p,
			ReadHeaderTimeout: l.ReadHeaderTimeout,
			ReadTimeout:       l.ReadTimeout,
			IdleTimeout:       l.IdleTimeout,
			BaseContext:       func(net.Listener) context.Context { return base },
		},
		ln:     ln,
		done:   make(chan error, 1),
		cancel: cancel,
	}
	go func() {
		err := s.srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}()
	return s
}

// Addr is the listening address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Shutdown stops accepting, ends long-lived calls (SyncStreams), waits for
// unary calls in flight until ctx ends, then closes what is left.
func (s *Server) Shutdown(ctx context.Context) error {
	s.cancel()
	err := s.srv.Shutdown(ctx)
	if err != nil {
		_ = s.srv.Close()
	}
	<-s.done
	return err
}

// Close stops the server at once.
func (s *Server) Close() error {
	s.cancel()
	err := s.srv.Close()
	<-s.done
	return err
}
