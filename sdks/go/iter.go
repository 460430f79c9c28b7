package hookwire

import (
	"context"
	"net/url"
)

// Iter walks every item of a list, fetching the next page when the current one
// is used up:
//
//	it := client.Webhooks.List(ctx, nil)
//	for it.Next() {
//		webhook := it.Value()
//	}
//	if err := it.Err(); err != nil { … }
type Iter[T any] struct {
	ctx    context.Context
	client *Client
	call   call
	page   []T
	index  int
	cursor string
	done   bool
	err    error
}

func newIter[T any](ctx context.Context, client *Client, c call) *Iter[T] {
	if c.query == nil {
		c.query = url.Values{}
	}
	return &Iter[T]{ctx: ctx, client: client, call: c, index: -1}
}

// Next moves to the next item; false at the end or on an error (see Err).
func (it *Iter[T]) Next() bool {
	for {
		if it.err != nil {
			return false
		}
		if it.index+1 < len(it.page) {
			it.index++
			return true
		}
		if it.done {
			return false
		}
		query := url.Values{}
		for k, v := range it.call.query {
			query[k] = v
		}
		if it.cursor != "" {
			query.Set("cursor", it.cursor)
		}
		var page struct {
			Data       []T     `json:"data"`
			NextCursor *string `json:"next_cursor"`
		}
		next := it.call
		next.query = query
		if err := it.client.do(it.ctx, next, &page); err != nil {
			it.err = err
			return false
		}
		it.page, it.index = page.Data, -1
		if page.NextCursor == nil || *page.NextCursor == "" {
			it.done = true
		} else {
			it.cursor = *page.NextCursor
		}
	}
}

// Value is the current item (after Next returned true).
func (it *Iter[T]) Value() T { return it.page[it.index] }

// Err is the error that stopped the walk, if any.
func (it *Iter[T]) Err() error { return it.err }

// All reads every remaining item.
func (it *Iter[T]) All() ([]T, error) {
	var items []T
	for it.Next() {
		items = append(items, it.Value())
	}
	return items, it.Err()
}
