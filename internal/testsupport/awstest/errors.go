package awstest

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
)

// requestID is the request id every answer of the layer itself carries.
const requestID = "awstest"

// writeS3Error answers with an S3 REST error document, as "Error responses" in the Amazon S3 API
// Reference shows (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html). A HEAD
// request gets the status alone, as S3 sends no body for HEAD.
func writeS3Error(w http.ResponseWriter, status int, code, msg string) {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<Error><Code>")
	xml.EscapeText(&b, []byte(code))
	b.WriteString("</Code><Message>")
	xml.EscapeText(&b, []byte(msg))
	b.WriteString("</Message><RequestId>" + requestID + "</RequestId></Error>")
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("X-Amz-Request-Id", requestID)
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// WriteS3Error answers with an S3 error document; for Handle hooks.
func WriteS3Error(w http.ResponseWriter, status int, code, msg string) {
	writeS3Error(w, status, code, msg)
}

// writeKMSError answers with an AWS JSON 1.1 protocol error, the shape KMS uses: HTTP 400 and
// {"__type": code, "message": msg} ("Common Errors", AWS KMS API Reference,
// https://docs.aws.amazon.com/kms/latest/APIReference/CommonErrors.html).
func writeKMSError(w http.ResponseWriter, code, msg string) {
	body, _ := json.Marshal(map[string]string{"__type": code, "message": msg})
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Requestid", requestID)
	w.WriteHeader(http.StatusBadRequest)
	_, _ = w.Write(body)
}

// WriteKMSError answers with a KMS JSON error; for Handle hooks (e.g. ThrottlingException).
func WriteKMSError(w http.ResponseWriter, code, msg string) { writeKMSError(w, code, msg) }

// writeQueryError answers with the AWS query protocol's error document, the shape IAM and STS
// use (an ErrorResponse holding Type, Code and Message; "Common Errors", IAM API Reference,
// https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html).
func writeQueryError(w http.ResponseWriter, service string, status int, code, msg string) {
	ns := map[string]string{
		"iam": "https://iam.amazonaws.com/doc/2010-05-08/",
		"sts": "https://sts.amazonaws.com/doc/2011-06-15/",
	}[service]
	var b bytes.Buffer
	fmt.Fprintf(&b, `<ErrorResponse xmlns="%s"><Error><Type>Sender</Type><Code>`, ns)
	xml.EscapeText(&b, []byte(code))
	b.WriteString("</Code><Message>")
	xml.EscapeText(&b, []byte(msg))
	b.WriteString("</Message></Error><RequestId>" + requestID + "</RequestId></ErrorResponse>")
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// writeAccessDenied refuses a request in its service's own shape.
func writeAccessDenied(w http.ResponseWriter, c *call, msg string) {
	switch c.service {
	case "kms":
		writeKMSError(w, "AccessDeniedException", msg)
	case "iam", "sts":
		writeQueryError(w, c.service, http.StatusForbidden, "AccessDenied", msg)
	case s3ControlService:
		// S3 Control wraps its errors in ErrorResponse ("Error responses", S3 Control API).
		var b bytes.Buffer
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<ErrorResponse><Error><Code>AccessDenied</Code><Message>")
		xml.EscapeText(&b, []byte(msg))
		b.WriteString("</Message></Error><RequestId>" + requestID + "</RequestId></ErrorResponse>")
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write(b.Bytes())
	default:
		if c.r.Method == http.MethodHead {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		writeS3Error(w, http.StatusForbidden, "AccessDenied", msg)
	}
}
