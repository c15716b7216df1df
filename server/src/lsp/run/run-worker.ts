// Placeholder: the scenario-run worker thread (issue 10) is being written.
export {};
