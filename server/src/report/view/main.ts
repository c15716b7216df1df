// Placeholder: the results view's browser script (issue 10) is being written.
export {};
