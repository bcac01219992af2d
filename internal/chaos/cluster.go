package chaos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/towns-node/node/actors"
)

// state is what the driver has done to a node process.
type state int

const (
	up     state = iota
	killed       // SIGKILLed, not restarted yet
	paused       // SIGSTOPped
	cut          // running isolated: no peer can reach it, it dials none
)

func (s state) String() string {
	return [...]string{"up", "killed", "paused", "cut"}[s]
}

// proc is one node process of the devnet: its ports and data dir stay the
// same across restarts, so its peers find it again where the chain registry
// says it is.
type proc struct {
	name    string
	bin     string
	dataDir string
	api     string // host:port
	debug   string
	p2pPort int
	cutPort int // the p2p port of an isolated run, known to nobody
	args    []string
	log     *os.File

	mu    sync.Mutex // held by the driver while it changes the process
	st    state
	cmd   *exec.Cmd
	exit  chan struct{} // closed when cmd has exited
	since time.Time
}

// freePorts returns the first of n consecutive loopback ports free now and
// below the kernel's ephemeral range, so that no outbound connection of a
// node can take a port a restarted node needs.
func freePorts(n int, r *rand.Rand) (int, error) {
	low := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if v, err := strconv.Atoi(f[0]); err == nil {
				low = v
			}
		}
	}
	const floor = 10000
	if low-floor <= n {
		return 0, fmt.Errorf("no room for %d ports below the ephemeral range %d", n, low)
	}
	for range 200 {
		base := floor + r.IntN(low-floor-n)
		ok := true
		for p := base; p < base+n && ok; p++ {
			addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				ok = false
				break
			}
			_ = ln.Close()
		}
		if ok {
			return base, nil
		}
	}
	return 0, fmt.Errorf("no %d consecutive free ports below %d", n, low)
}

// start runs the node; with isolated it listens for peers on cutPort and
// neither reads the registry, nor a peerstore, nor mDNS or the DHT, so it
// reaches no peer and no peer reaches it (they dial p2pPort).
func (p *proc) start(isolated bool) error {
	port := p.p2pPort
	args := append([]string{"run", "--data-dir", p.dataDir, "--api", p.api, "--debug", p.debug}, p.args...)
	if isolated {
		port = p.cutPort
		args = append(args, "--p2p.registry=false", "--p2p.peerstore", "none", "--p2p.mdns=false", "--p2p.dht=false")
	}
	args = append(args, "--p2p.listen", fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", port))
	cmd := exec.Command(p.bin, args...)
	cmd.Stdout, cmd.Stderr = p.log, p.log
	dieWithParent(cmd)
	fmt.Fprintf(p.log, "=== chaos: %s start isolated=%v\n", time.Now().UTC().Format(time.RFC3339Nano), isolated)
	if err := cmd.Start(); err != nil {
		return err
	}
	exit := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exit) }()
	p.cmd, p.exit, p.since = cmd, exit, time.Now()
	return p.waitServing(90 * time.Second)
}

// waitServing polls the debug endpoint until the node answers.
func (p *proc) waitServing(d time.Duration) error {
	deadline := time.Now().Add(d)
	c := http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-p.exit:
			return fmt.Errorf("%s exited at start (see %s)", p.name, p.log.Name())
		default:
		}
		resp, err := c.Get("http://" + p.debug + "/debug/actors")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s did not serve within %s (see %s)", p.name, d, p.log.Name())
}

func (p *proc) signal(sig syscall.Signal) error {
	fmt.Fprintf(p.log, "=== chaos: %s signal %s\n", time.Now().UTC().Format(time.RFC3339Nano), sig)
	return p.cmd.Process.Signal(sig)
}

// kill SIGKILLs the node and waits until it is gone.
func (p *proc) kill() error {
	if err := p.signal(syscall.SIGKILL); err != nil {
		return err
	}
	select {
	case <-p.exit:
		return nil
	case <-time.After(30 * time.Second):
		return fmt.Errorf("%s still running 30 s after SIGKILL", p.name)
	}
}

// stop ends the node: SIGCONT (in case it is paused), SIGTERM, then SIGKILL
// after 10 s.
func (p *proc) stop() {
	if p.cmd == nil {
		return
	}
	select {
	case <-p.exit:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGCONT)
	_ = p.signal(syscall.SIGTERM)
	select {
	case <-p.exit:
	case <-time.After(10 * time.Second):
		_ = p.kill()
	}
}

// actorsInfo reads /debug/actors.
func (p *proc) actorsInfo(ctx context.Context) ([]actors.ActorInfo, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.debug+"/debug/actors", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s /debug/actors: %s", p.name, resp.Status)
	}
	var list []actors.ActorInfo
	return list, json.NewDecoder(resp.Body).Decode(&list)
}

// actorInfo reads /debug/actors/{name}.
func (p *proc) actorInfo(ctx context.Context, name string) (actors.ActorInfo, error) {
	var info actors.ActorInfo
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.debug+"/debug/actors/"+name, nil)
	if err != nil {
		return info, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return info, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return info, fmt.Errorf("%s /debug/actors/%s: %s", p.name, name, resp.Status)
	}
	return info, json.NewDecoder(resp.Body).Decode(&info)
}

// devchainProc runs `node devchain` and waits until it answers JSON-RPC.
func devchainProc(bin, dir, addr string, blockTime time.Duration) (*exec.Cmd, *os.File, error) {
	log, err := os.Create(filepath.Join(dir, "devchain.log"))
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.Command(bin, "devchain", "--rpc", addr, "--block-time", blockTime.String(), "--data-dir", filepath.Join(dir, "devchain"))
	cmd.Stdout, cmd.Stderr = log, log
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		return nil, log, err
	}
	deadline := time.Now().Add(60 * time.Second)
	body := `{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}`
	c := http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		resp, err := c.Post("http://"+addr, "application/json", strings.NewReader(body))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return cmd, log, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	return nil, log, errors.New("the devchain did not answer within 60 s (see devchain.log)")
}
