package iamgen

// keyWrites is what apply needs to create, name and manage the keys behind the file's aliases.
//
// Against whom the apply role could turn these permissions: the account's other keys. Nothing but
// a read is granted on a tag (a tag can be put on anyone's key: tagging at CreateKey needs kms:TagResource
// "in an IAM policy that isn't restricted to particular KMS keys", "Controlling access to tags",
// https://docs.aws.amazon.com/kms/latest/developerguide/tag-permissions.html, and that permission
// then covers the account's existing keys too). Instead:
//
//   - the keys already behind one of the file's aliases are managed by the kms:ResourceAliases
//     condition ("Use aliases to control access to KMS keys",
//     https://docs.aws.amazon.com/kms/latest/developerguide/alias-authorization.html);
//   - an alias can only be given to a key sseguard created: CreateAlias is authorised on the
//     alias (granted here for the file's aliases) and on the key ("Controlling access to
//     aliases", https://docs.aws.amazon.com/kms/latest/developerguide/alias-access.html), and the
//     key side is granted by no IAM statement: the key policy sseguard writes at CreateKey names
//     the apply role for CreateAlias and the rest of what it does to that key
//     (iampolicy.ApplyStatement), so a foreign key, whose policy delegates to IAM at most, cannot
//     be given one of the file's aliases and so come under kms:ResourceAliases;
//   - keys are created only symmetric, single-Region, with key material from KMS, without
//     bypassing the lockout safety check, tagged for one of the file's aliases and with the file's
//     tag keys alone ("AWS KMS condition keys",
//     https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html: these keys hold the
//     parameter's default when the request leaves it out). A key created with a key policy of
//     someone else's choosing holds nothing and can be named only by an alias of the file that
//     does not exist yet; its policy is then judged by the plan like any key's (outsiders are
//     blockers) before any bucket is switched to it.
func (g *gen) keyWrites(aliases []string) {
	tagKeys := []string{AliasTag}
	for _, k := range g.pol.Keys {
		for t := range k.Tags {
			tagKeys = append(tagKeys, t)
		}
	}
	tagKeys = sortedUnique(tagKeys)
	g.add("CreateKeysForTheFilesAliases", []string{"kms:CreateKey"}, []string{"*"}, map[string]map[string][]string{
		"StringEquals": {
			"aws:RequestTag/" + AliasTag: aliases,
			"kms:KeySpec":                {"SYMMETRIC_DEFAULT"},
			"kms:KeyUsage":               {"ENCRYPT_DECRYPT"},
			"kms:KeyOrigin":              {"AWS_KMS"},
		},
		"Bool":                      {"kms:MultiRegion": {"false"}, "kms:BypassPolicyLockoutSafetyCheck": {"false"}},
		"ForAllValues:StringEquals": {"aws:TagKeys": tagKeys},
	})
	// The tags a new key is created with. This is the permission AWS requires unrestricted by
	// key: it lets the role tag other keys of the account as well, which grants it nothing here.
	g.add("TagKeysAsTheyAreCreated", []string{"kms:TagResource"}, []string{"*"}, map[string]map[string][]string{
		"StringEquals":              {"aws:RequestTag/" + AliasTag: aliases},
		"ForAllValues:StringEquals": {"aws:TagKeys": tagKeys},
	})
	var aliasARNs []string
	for _, a := range aliases {
		aliasARNs = append(aliasARNs, g.aliasARN(a))
	}
	g.add("NameTheFilesAliases", []string{"kms:CreateAlias"}, aliasARNs, nil)
	cond := byAlias(aliases)
	for op, v := range noLockoutBypass() {
		cond[op] = v
	}
	g.add("ManageKeysByAlias", []string{"kms:PutKeyPolicy", "kms:EnableKeyRotation"}, []string{g.anyKey()}, cond)
	// Finding a key an earlier run created but could not name: list keys, aliases, key tags (read
	// only); the key itself is then read and named on its own policy's authority.
	g.add("FindUnnamedKeys", []string{"kms:ListKeys", "kms:ListAliases"}, []string{"*"}, nil)
	g.add("ReadKeyTags", []string{"kms:ListResourceTags"}, []string{g.anyKey()}, nil)
	// A key tagged for one of the file's aliases is read (its policy only: a read grants nothing)
	// to tell whether it is one sseguard created, and if not, why it is passed over.
	g.add("ReadKeysTaggedForTheFilesAliases", []string{"kms:GetKeyPolicy"}, []string{g.anyKey()},
		map[string]map[string][]string{"StringEquals": {"aws:ResourceTag/" + AliasTag: aliases}})
}

// noLockoutBypass keeps KMS's key policy lockout safety check on (present on PutKeyPolicy with its
// default, false; absent on other actions, hence IfExists).
func noLockoutBypass() map[string]map[string][]string {
	return map[string]map[string][]string{"BoolIfExists": {"kms:BypassPolicyLockoutSafetyCheck": {"false"}}}
}
