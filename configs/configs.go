// Package configs holds the agent's embedded default config; the YAML files
// beside it are examples and deployment files for users.
package configs

import _ "embed"

// Default is the config the agent runs when no --config.file is given: it
// probes the agent's own endpoints, so a first run shows probes, metrics and
// SLOs working at once. ${SLOAGENT_WEB_ADDRESS} is the agent's own listen
// address, reachable from the agent.
//
//go:embed default.yml
var Default []byte
