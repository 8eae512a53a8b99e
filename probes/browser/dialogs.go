package browser

import (
	"context"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// handleDialogs accepts every alert, confirm, prompt (with its default
// text) and beforeunload dialog of the tab until it closes: nobody is there
// to click them, and an open dialog stalls the page and every step after
// it. The recorder lists them in the console messages.
func handleDialogs(tab context.Context, opened <-chan *page.EventJavascriptDialogOpening) {
	for {
		select {
		case <-tab.Done():
			return
		case ev := <-opened:
			_, _ = chromedp.Call(tab, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{
				Accept: true, PromptText: ev.DefaultPrompt,
			})
		}
	}
}
