// Command k8slint checks Kubernetes manifests offline: every document of
// the YAML on standard input must decode into the API type of its kind with
// no unknown or mistyped field, which is what a cluster's API server would
// refuse. It knows the kinds sloagent's deployment files use.
//
//	kustomize build configs/deploy/kubernetes | go -C tools run ./k8slint
package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

func main() {
	if err := lint(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "k8slint:", err)
		os.Exit(1)
	}
}

func lint(in io.Reader, out io.Writer) error {
	r := utilyaml.NewYAMLReader(bufio.NewReader(in))
	var errs []error
	n := 0
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		n++
		var meta struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			errs = append(errs, fmt.Errorf("document %d: %w", n, err))
			continue
		}
		obj, ok := typed(meta.APIVersion, meta.Kind)
		if !ok {
			errs = append(errs, fmt.Errorf("document %d: %s %s is not a kind k8slint knows", n, meta.APIVersion, meta.Kind))
			continue
		}
		if err := yaml.UnmarshalStrict(doc, obj); err != nil {
			errs = append(errs, fmt.Errorf("%s %s: %w", meta.Kind, meta.Metadata.Name, err))
			continue
		}
		if meta.Metadata.Name == "" {
			errs = append(errs, fmt.Errorf("document %d: %s has no metadata.name", n, meta.Kind))
			continue
		}
		fmt.Fprintf(out, "%s %s: OK\n", meta.Kind, meta.Metadata.Name)
	}
	if n == 0 {
		errs = append(errs, errors.New("no documents"))
	}
	return errors.Join(errs...)
}

func typed(apiVersion, kind string) (any, bool) {
	switch apiVersion + " " + kind {
	case "v1 ConfigMap":
		return &corev1.ConfigMap{}, true
	case "v1 Service":
		return &corev1.Service{}, true
	case "v1 ServiceAccount":
		return &corev1.ServiceAccount{}, true
	case "apps/v1 StatefulSet":
		return &appsv1.StatefulSet{}, true
	case "apps/v1 Deployment":
		return &appsv1.Deployment{}, true
	}
	return nil, false
}
