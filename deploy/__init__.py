"""Deploy tooling (not deployed): SAM translation, template graph checks, the LocalStack deploy
rehearsal, IAM parity and the post-deploy publishing of the static sites."""
