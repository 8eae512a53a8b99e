package slo

import (
	"encoding/json"

	bolt "go.etcd.io/bbolt"
)

// bucketAlerts holds each SLO severity's alert lifecycle as JSON, keyed by
// "<slo>\x00<severity>", beside the SLOs' counts. It is written at every
// transition (they are rare), so that a firing-since time survives a
// restart or a kill, whatever the flush interval.
var bucketAlerts = []byte("alerts")

type alertRecord struct {
	slo, severity string
	life          Lifecycle
}

func alertKey(slo, sev string) []byte { return []byte(slo + "\x00" + sev) }

// putAlerts writes the lifecycles of recs in one transaction.
func (s *Store) putAlerts(recs []alertRecord) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketAlerts)
		if err != nil {
			return err
		}
		for _, r := range recs {
			v, err := json.Marshal(r.life)
			if err != nil {
				return err
			}
			if err := b.Put(alertKey(r.slo, r.severity), v); err != nil {
				return err
			}
		}
		return nil
	})
}

// loadAlerts returns the stored lifecycles of an SLO by severity.
func (s *Store) loadAlerts(slo string) (map[string]Lifecycle, error) {
	out := map[string]Lifecycle{}
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAlerts)
		if b == nil {
			return nil
		}
		for _, sev := range severities {
			v := b.Get(alertKey(slo, sev))
			if v == nil {
				continue
			}
			var l Lifecycle
			if err := json.Unmarshal(v, &l); err != nil {
				return err
			}
			out[sev] = l
		}
		return nil
	})
	return out, err
}

// deleteAlerts forgets the lifecycles of the SLOs (or probe alert keys)
// named.
func (s *Store) deleteAlerts(slos []string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAlerts)
		if b == nil {
			return nil
		}
		for _, slo := range slos {
			for _, sev := range severities {
				if err := b.Delete(alertKey(slo, sev)); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
