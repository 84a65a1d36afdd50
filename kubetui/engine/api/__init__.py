"""The API server: kinds, validation, defaulting, admission, selectors, patches and watches."""
