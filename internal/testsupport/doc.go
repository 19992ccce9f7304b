// Package testsupport holds, one package each, what the tests (and the local demo) run against
// instead of the real services, and the helpers every package's tests share; nothing here is
// part of the sseguard binary:
//
//   - motoserver starts a real moto_server, the AWS emulator;
//   - awstest is the strict AWS layer in front of it: where moto differs from AWS, it answers as
//     AWS documents (its doc comment lists each rule and the page it follows);
//   - s3controltest stands in for S3 Control's Batch Operations jobs, and githubtest for GitHub's
//     REST API, the two services no emulator here implements, answering as their published API
//     models say;
//   - nodetools runs the pinned npm tools of tools/js (mermaid's parser, an IAM simulator);
//   - golden compares output with the files under a package's testdata.
//
// The rule: a stand-in or a harness that more than one package's tests use lives here; fixtures
// of one package's values (plan/plantest) stay beside that package.
package testsupport
