package openapicut

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// full is a description in GitHub's shape: a served path whose operation
// references a response, a schema that references another, a parameter, a
// media type example and components nothing served references.
const full = `{
 "openapi": "3.0.3",
 "info": {"title": "GitHub v3 REST API", "version": "1.1.4"},
 "servers": [{"url": "https://api.github.com"}],
 "tags": [{"name": "repos"}],
 "x-webhooks": {"push": {}},
 "paths": {
  "/repos/{owner}/{repo}": {
   "parameters": [{"$ref": "#/components/parameters/owner"}],
   "get": {
    "responses": {
     "200": {"description": "ok", "content": {"application/json": {
      "schema": {"$ref": "#/components/schemas/full-repository"},
      "examples": {"default": {"$ref": "#/components/examples/full-repository"}}
     }}},
     "404": {"$ref": "#/components/responses/not_found"}
    }
   }
  },
  "/gists": {"get": {"responses": {"200": {"$ref": "#/components/responses/gists"}}}}
 },
 "components": {
  "parameters": {"owner": {"name": "owner", "in": "path", "required": true, "schema": {"type": "string"}}},
  "schemas": {
   "full-repository": {"type": "object", "example": {"id": 1}, "properties": {
    "id": {"type": "integer", "maximum": 9007199254740993},
    "owner": {"$ref": "#/components/schemas/simple-user"},
    "content": {"type": "object", "properties": {"examples": {"type": "string"}}}
   }},
   "simple-user": {"type": "object", "properties": {"login": {"type": "string", "description": "a <login> & more"}}},
   "basic-error": {"type": "object", "properties": {"message": {"type": "string"}}},
   "gist": {"type": "object"}
  },
  "responses": {
   "not_found": {"description": "Resource not found", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/basic-error"}}}},
   "gists": {"description": "gists", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/gist"}}}}
  },
  "examples": {"full-repository": {"value": {"id": 1}}}
 }
}`

const want = `{
 "components": {
  "parameters": {
   "owner": {
    "in": "path",
    "name": "owner",
    "required": true,
    "schema": {
     "type": "string"
    }
   }
  },
  "responses": {
   "not_found": {
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/basic-error"
      }
     }
    },
    "description": "Resource not found"
   }
  },
  "schemas": {
   "basic-error": {
    "properties": {
     "message": {
      "type": "string"
     }
    },
    "type": "object"
   },
   "full-repository": {
    "example": {
     "id": 1
    },
    "properties": {
     "content": {
      "properties": {
       "examples": {
        "type": "string"
       }
      },
      "type": "object"
     },
     "id": {
      "maximum": 9007199254740993,
      "type": "integer"
     },
     "owner": {
      "$ref": "#/components/schemas/simple-user"
     }
    },
    "type": "object"
   },
   "simple-user": {
    "properties": {
     "login": {
      "description": "a <login> & more",
      "type": "string"
     }
    },
    "type": "object"
   }
  }
 },
 "info": {
  "title": "GitHub v3 REST API",
  "version": "1.1.4"
 },
 "openapi": "3.0.3",
 "paths": {
  "/repos/{owner}/{repo}": {
   "get": {
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/full-repository"
        }
       }
      },
      "description": "ok"
     },
     "404": {
      "$ref": "#/components/responses/not_found"
     }
    }
   },
   "parameters": [
    {
     "$ref": "#/components/parameters/owner"
    }
   ]
  }
 },
 "servers": [
  {
   "url": "/"
  }
 ]
}
`

func TestCut(t *testing.T) {
	served := []string{"/repos/{owner}/{repo}"}
	got, err := cut([]byte(full), served)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("cut(full): -want +got:\n%s", diff)
	}
	again, err := cut(got, served)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(got), string(again)); diff != "" {
		t.Errorf("cut(cut(full)) != cut(full): -want +got:\n%s", diff)
	}
}

func TestCutErrors(t *testing.T) {
	dangling := strings.Replace(full, `"simple-user": {`, `"other-user": {`, 1)
	outside := strings.Replace(full, `"$ref": "#/components/parameters/owner"`, `"$ref": "#/paths/x"`, 1)
	cases := map[string]struct {
		full   string
		served []string
		want   string
	}{
		"NotJSON":          {full: "{", served: nil, want: "cannot parse"},
		"PathMissing":      {full: full, served: []string{"/user"}, want: "no path /user"},
		"DanglingRef":      {full: dangling, served: []string{"/repos/{owner}/{repo}"}, want: `"#/components/schemas/simple-user": no such component`},
		"RefOutComponents": {full: outside, served: []string{"/repos/{owner}/{repo}"}, want: "is not to a component"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := cut([]byte(tc.full), tc.served)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("cut: error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestServedPathsUnique: the cut is keyed by path; a path listed twice
// would hide a forgotten one.
func TestServedPathsUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range servedPaths {
		if seen[p] {
			t.Errorf("servedPaths lists %s twice", p)
		}
		seen[p] = true
	}
}
