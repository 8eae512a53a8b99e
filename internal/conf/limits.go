package conf

import (
	"fmt"
	"io"
	"os"

	"gopkg.in/yaml.v3"
)

// MaxFileSize bounds a config file. 8 MiB is some 70,000 probes; parsing a
// file of that size costs yaml.v3 up to about 400 MB while it lasts (a list
// of one-letter items), so a stray or hostile file cannot take the agent's
// memory.
const MaxFileSize = 8 << 20

// MaxAliasNodes bounds the nodes that aliases add to a document when they
// are expanded. Sharing a section through an anchor costs one alias per
// use, so real configs stay far below; an alias bomb (anchors of anchors,
// each used many times) would otherwise expand to billions of nodes, which
// yaml.v3's own check catches only when its aliases are most of the
// expanded document.
const MaxAliasNodes = 1_000_000

// ReadFile reads a config, an SLO file or a target file, no more than
// one byte past MaxFileSize, whatever the path is (a huge file, a device,
// a pipe): what reads the data refuses it when it is over the limit.
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, MaxFileSize+1))
}

// checkSize refuses a file larger than MaxFileSize.
func checkSize(n int) []Problem {
	if n <= MaxFileSize {
		return nil
	}
	return []Problem{{Msg: fmt.Sprintf("the file has %d bytes; a config may have at most %d (%d MiB)", n, MaxFileSize, MaxFileSize>>20)}}
}

// checkAliases refuses a document whose aliases expand it by more than
// MaxAliasNodes nodes, naming the alias that crosses the line. It takes
// time in the size of the file, not of the expansion: the expanded size of
// every anchor is worked out once.
func checkAliases(root *yaml.Node) []Problem {
	sizes := map[*yaml.Node]int{} // expanded size of an anchored node
	var expanded func(n *yaml.Node) int
	expanded = func(n *yaml.Node) int {
		if n.Kind == yaml.AliasNode {
			if n.Alias == nil {
				return 1
			}
			if s, ok := sizes[n.Alias]; ok {
				return s
			}
			sizes[n.Alias] = 1 // yaml.v3 refuses an anchor inside itself; this stops it anyway
			s := expanded(n.Alias)
			sizes[n.Alias] = s
			return s
		}
		s := 1
		for _, c := range n.Content {
			s = min(s+expanded(c), MaxAliasNodes+1)
		}
		return s
	}
	growth := 0
	var bomb *yaml.Node
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		for _, c := range n.Content {
			if bomb != nil {
				return
			}
			if c.Kind == yaml.AliasNode {
				if growth += expanded(c) - 1; growth > MaxAliasNodes {
					bomb = c
				}
				continue
			}
			walk(c)
		}
	}
	walk(root)
	if bomb == nil {
		return nil
	}
	return []Problem{{Line: bomb.Line, Msg: fmt.Sprintf("alias *%s takes the nodes that aliases add to the document past %d, the most a config may have (an alias bomb?)",
		bomb.Value, MaxAliasNodes)}}
}
